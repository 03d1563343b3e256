"""What every staff page shares: templates, the signed-in actor, CSRF and form errors.

The pages use the same staff session cookie as the JSON API (`staff/auth.py`); their form
posts carry a CSRF token from `ombuds_shared.forms` (no bot check: staff are signed in).
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData

from ombuds_cases.audit.dependencies import Actor
from ombuds_cases.staff.auth import current_staff, require, signed_in
from ombuds_cases.staff.errors import ForbiddenError
from ombuds_cases.staff.policy import StaffActor, holds
from ombuds_shared.forms import CSRF_FIELD, CsrfError, form_protection, issue_form

UI_DIR = Path(__file__).parent
STATIC_DIR = UI_DIR / "static"
PREFIX = "/staff"
SIGN_IN_PATH = f"{PREFIX}/sign-in"
PASSWORD_PATH = f"{PREFIX}/password"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(UI_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


class PageRedirect(Exception):
    """Send the browser elsewhere (to sign in, or to replace a one-time password)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class PageRefused(Exception):
    """A page the actor may not see: rendered as a 403 page that says why."""

    def __init__(
        self,
        message: str,
        status_code: int = status.HTTP_403_FORBIDDEN,
        actor: StaffActor | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        # Who was refused, so the page still offers the links they may follow.
        self.actor = actor


@dataclass(frozen=True)
class FieldError:
    field_id: str
    message: str


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    actor: StaffActor | None = None,
    errors: Iterable[FieldError] = (),
    status_code: int = 200,
) -> HTMLResponse:
    """A page with a fresh CSRF token for its forms and the nav the actor may use."""
    tokens = issue_form(request)
    error_list = list(errors)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "actor": actor,
            "may": (lambda permission: actor is not None and holds(actor, permission)),
            "csrf": Markup(
                f'<input type="hidden" name="{CSRF_FIELD}" value="{tokens.csrf_token}">'
            ),
            "errors": error_list,
            "error_for": {error.field_id: error.message for error in error_list},
            **context,
        },
        status_code=status_code,
    )
    form_protection(request).set_cookie(response, tokens)
    return response


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


async def checked_form(request: Request) -> FormData:
    """The posted form once its CSRF token matches this browser's cookie (else a 403 page)."""
    protection = form_protection(request)
    form = await request.form()
    token = form.get(CSRF_FIELD)
    try:
        protection.check_csrf(
            request.cookies.get(protection.cookie_name), token if isinstance(token, str) else None
        )
    except CsrfError as error:
        raise PageRefused(error.message) from error
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def page_actor(permission: str) -> Callable[[Request], Awaitable[StaffActor]]:
    """`require(permission)` for pages: sign-in and password problems redirect, refusals
    render a page, and the audit trail names the signed-in member."""
    allowed = require(permission)

    async def dependency(request: Request) -> StaffActor:
        try:
            signed = await signed_in(request, None)
        except HTTPException as error:
            raise PageRedirect(SIGN_IN_PATH) from error
        if signed.password_must_change and signed.blocked_reason is None:
            raise PageRedirect(PASSWORD_PATH)
        try:
            working = await current_staff(signed)
        except ForbiddenError as error:
            raise PageRefused(error.message) from error
        try:
            actor = await allowed(working)
        except ForbiddenError as error:
            raise PageRefused(error.message, actor=working) from error
        request.state.actor = Actor(actor.email, actor.role.value)
        return actor

    return dependency


def field_errors(error: ValidationError, prefix: str) -> list[FieldError]:
    """Pydantic's errors as `prefix-field` ids and messages that name the field and the rule."""
    found: list[FieldError] = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "form"
        label = name.replace("_", " ")
        message = problem["msg"].removeprefix("Value error, ")
        found.append(FieldError(f"{prefix}-{name.replace('_', '-')}", f"{label}: {message}"))
    return found


def form_values(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The named text fields; an empty field counts as not given."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = value
    return values


def install_pages(app: FastAPI) -> None:
    """Render the UI's own redirects and refusals as pages (the JSON API never raises them)."""

    async def redirect(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageRedirect)
        return see_other(error.location)

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageRefused)
        return render(
            request,
            "refused.html",
            {"message": error.message},
            actor=error.actor,
            status_code=error.status_code,
        )

    app.add_exception_handler(PageRedirect, redirect)
    app.add_exception_handler(PageRefused, refused)
