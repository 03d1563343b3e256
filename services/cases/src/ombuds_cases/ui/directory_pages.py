"""The directory admin page: offices and agencies, their channels and deadlines, and their
API keys, managed through the referrals admin API as the signed-in administrator."""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ombuds_cases.audit.dependencies import request_audit
from ombuds_cases.staff.policy import StaffActor
from ombuds_cases.ui.case_pages import options, words
from ombuds_cases.ui.pages import CheckedForm, FieldError, page_actor, render, see_other
from ombuds_cases.ui.referrals_api import ReferralsAdmin, ReferralsRefused, ReferralsUnavailable

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff/directory", include_in_schema=False)

PERMISSION = "directory.manage"
DirectoryManager = Annotated[StaffActor, Depends(page_actor(PERMISSION))]
KINDS = ("internal_office", "dhs_component", "outside_agency")
TEXT_FIELDS = (
    "id",
    "kind",
    "name",
    "postal_address",
    "webhook_url",
    "webhook_secret",
    "email",
    "acknowledgement_business_days",
    "response_business_days",
)
# Fields an edit may clear: an empty box removes that delivery channel.
CLEARABLE = frozenset({"webhook_url", "email"})


def _field_id(prefix: str, name: str) -> str:
    return f"{prefix}-{name.replace('_', '-')}"


def _kept(form: FormData, prefix: str) -> dict[str, str]:
    """What was typed, to show it again beside the errors (never the webhook secret)."""
    kept = {
        _field_id(prefix, name): str(form.get(name) or "")
        for name in TEXT_FIELDS
        if name != "webhook_secret"
    }
    kept[_field_id(prefix, "kafka_enabled")] = "on" if form.get("kafka_enabled") else ""
    return kept


def _body(form: FormData, *, editing: bool) -> dict[str, Any]:
    """The API body: typed fields, the Kafka checkbox, and on an edit, cleared channels."""
    body: dict[str, Any] = {"kafka_enabled": bool(form.get("kafka_enabled"))}
    for name in TEXT_FIELDS:
        if editing and name == "id":
            continue
        value = form.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if text:
            body[name] = text
        elif editing and name in CLEARABLE:
            body[name] = None
    return body


def _problems(error: ReferralsRefused, prefix: str) -> list[FieldError]:
    """The API's refusal as field errors naming the field and the rule, else one for the form."""
    if error.errors:
        return [
            FieldError(_field_id(prefix, name), f"{words(name)}: {message}")
            for name, message in error.errors
        ]
    return [FieldError(f"{prefix}-heading", error.detail)]


def _typed_again(values: dict[str, str]) -> Any:
    """`kept(prefix, name, fallback)` in the template: what was typed, else the fallback."""

    def kept(prefix: str, name: str, fallback: object = "") -> object:
        key = f"{prefix}-{name}"
        return values.get(key, fallback)

    return kept


async def _page(
    request: Request,
    actor: StaffActor,
    *,
    problems: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    issued: dict[str, Any] | None = None,
    editing: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    entries: list[dict[str, Any]] = []
    unavailable: str | None = None
    try:
        entries = await ReferralsAdmin(request, actor).entries()
    except ReferralsUnavailable as error:
        log.warning("directory page: referrals unavailable (%s)", error)
        unavailable = error.message
    except ReferralsRefused as error:
        problems = [*(problems or []), FieldError("directory-heading", error.detail)]
    chosen = next((entry for entry in entries if entry["id"] == editing), None)
    if editing is not None and chosen is None and unavailable is None:
        missing = FieldError("directory-heading", f"The directory has no entry {editing!r}.")
        problems, status_code = [*(problems or []), missing], status.HTTP_404_NOT_FOUND
    return render(
        request,
        "directory.html",
        {
            "entries": entries,
            "unavailable": unavailable,
            "kept": _typed_again(values or {}),
            "issued": issued,
            "editing": chosen,
            "done": request.query_params.get("done"),
            "kind_options": options(KINDS),
            "words": words,
        },
        actor=actor,
        errors=problems or [],
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE if unavailable else status_code,
    )


async def _refused_or_down(
    request: Request,
    actor: StaffActor,
    error: ReferralsRefused | ReferralsUnavailable,
    prefix: str,
    values: dict[str, str],
    editing: str | None = None,
) -> HTMLResponse:
    if isinstance(error, ReferralsUnavailable):
        return await _page(request, actor, values=values, editing=editing)
    return await _page(
        request,
        actor,
        problems=_problems(error, prefix),
        values=values,
        editing=editing,
        status_code=error.status_code,
    )


@router.get("", response_class=HTMLResponse)
async def directory(request: Request, actor: DirectoryManager) -> HTMLResponse:
    """Every office and agency, disabled ones too, with forms to add, edit and disable."""
    return await _page(request, actor)


@router.get("/{entry_id}", response_class=HTMLResponse)
async def edit_form(entry_id: str, request: Request, actor: DirectoryManager) -> HTMLResponse:
    return await _page(request, actor, editing=entry_id)


@router.post("", response_class=HTMLResponse)
async def create_entry(request: Request, form: CheckedForm) -> Response:
    actor = await page_actor(PERMISSION)(request)
    kept = _kept(form, "new")
    try:
        created = await ReferralsAdmin(request, actor).create(_body(form, editing=False))
    except (ReferralsRefused, ReferralsUnavailable) as error:
        return await _refused_or_down(request, actor, error, "new", kept)
    await request_audit(request).record("create", "directory_entry", created["id"])
    return see_other("/staff/directory?done=added")


@router.post("/{entry_id}", response_class=HTMLResponse)
async def update_entry(entry_id: str, request: Request, form: CheckedForm) -> Response:
    actor = await page_actor(PERMISSION)(request)
    kept = _kept(form, "edit")
    body = _body(form, editing=True)
    try:
        await ReferralsAdmin(request, actor).update(entry_id, body)
    except (ReferralsRefused, ReferralsUnavailable) as error:
        return await _refused_or_down(request, actor, error, "edit", kept, entry_id)
    await request_audit(request).record("update", "directory_entry", entry_id, fields=list(body))
    return see_other("/staff/directory?done=saved")


@router.post("/{entry_id}/disable", response_class=HTMLResponse)
async def disable_entry(entry_id: str, request: Request, form: CheckedForm) -> Response:
    """New referrals can no longer go to it, and its API keys stop working."""
    actor = await page_actor(PERMISSION)(request)
    try:
        await ReferralsAdmin(request, actor).disable(entry_id)
    except (ReferralsRefused, ReferralsUnavailable) as error:
        return await _refused_or_down(request, actor, error, "directory", {})
    await request_audit(request).record("update", "directory_entry", entry_id, ["disabled"])
    return see_other("/staff/directory?done=disabled")


@router.post("/{entry_id}/api-key", response_class=HTMLResponse)
async def issue_api_key(entry_id: str, request: Request, form: CheckedForm) -> Response:
    """Issue (or rotate) the agency's API key: shown on this answer only, never again."""
    actor = await page_actor(PERMISSION)(request)
    try:
        issued = await ReferralsAdmin(request, actor).issue_api_key(entry_id)
    except (ReferralsRefused, ReferralsUnavailable) as error:
        return await _refused_or_down(request, actor, error, "directory", {})
    await request_audit(request).record("create", "agency_api_key", entry_id)
    return await _page(request, actor, issued=issued, status_code=status.HTTP_201_CREATED)
