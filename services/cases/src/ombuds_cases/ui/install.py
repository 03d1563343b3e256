"""Mount the staff UI on the cases app: its pages, static files and form protection."""

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from ombuds_cases.ui import (
    action_pages,
    admin_pages,
    case_pages,
    directory_pages,
    oidc_pages,
    privacy_pages,
    records_pages,
    reveal_pages,
    session_pages,
)
from ombuds_cases.ui.pages import PREFIX, STATIC_DIR, install_pages, see_other
from ombuds_shared.forms import FormSettings, install_form_protection


def install_staff_ui(app: FastAPI, forms: FormSettings) -> None:
    install_form_protection(app, forms)
    install_pages(app)
    for module in (
        session_pages,
        oidc_pages,
        case_pages,
        action_pages,
        reveal_pages,
        admin_pages,
        directory_pages,
        privacy_pages,
        records_pages,
    ):
        app.include_router(module.router)

    @app.get(PREFIX, include_in_schema=False)
    async def start() -> RedirectResponse:
        return see_other(f"{PREFIX}/cases")

    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="staff-static")
