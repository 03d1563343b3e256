"""The privacy officer's pages: Privacy Act and FOIA requests (search, select, redact, export,
release) and amendment requests (record, decide). Each post runs the JSON API's own service
function in one unit of work with its audit record, then returns to the page it came from."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.audit.dependencies import request_audit
from ombuds_cases.crypto.dependencies import field_keyring
from ombuds_cases.privacy import amendments, service
from ombuds_cases.privacy.dependencies import blind_key
from ombuds_cases.privacy.schemas import (
    AmendmentDecision,
    FoundCase,
    NewAmendmentRequest,
    NewPrivacyRequest,
    NewRedaction,
    NewRelease,
    PersonSearch,
)
from ombuds_cases.staff.policy import StaffActor
from ombuds_cases.ui.case_pages import options, words
from ombuds_cases.ui.pages import (
    CheckedForm,
    FieldError,
    PageRefused,
    field_errors,
    form_values,
    page_actor,
    render,
    see_other,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import ServiceError, session_factory_of

router = APIRouter(prefix="/staff/privacy", include_in_schema=False)
PrivacyOfficer = Annotated[StaffActor, Depends(page_actor("privacy.requests"))]
Model = TypeVar("Model", bound=BaseModel)

REQUEST_FIELDS = (
    "kind",
    "requester_name",
    "requester_email",
    "requester_address",
    "identity_verification",
    "description",
    "received_on",
)
SEARCH_FIELDS = ("name", "email", "control_number", "identity_number")
REDACTION_FIELDS = ("control_number", "target", "span", "reason")
AMENDMENT_FIELDS = (
    "control_number",
    "requester_name",
    "field",
    "requested_value",
    "justification",
    "received_on",
)
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_CONTENT


def _service_problem(prefix: str, fields: tuple[str, ...], error: ServiceError) -> FieldError:
    """A refusal shown at the field its message names (else the form's first field)."""
    named = error.message.split(":", 1)[0]
    field = named if named in fields else fields[0]
    return FieldError(f"{prefix}-{field.replace('_', '-')}", error.message)


def _kept(prefix: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}-{name.replace('_', '-')}": value for name, value in values.items()}


def _parse(model: type[Model], values: dict[str, Any], prefix: str) -> Model | list[FieldError]:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        return field_errors(error, prefix)


async def _in_uow(
    request: Request, work: Callable[[AsyncSession], Awaitable[None]]
) -> ServiceError | None:
    """Run `work` in one unit of work; a domain refusal is returned, not raised."""
    try:
        async with UnitOfWork(session_factory_of(request)) as uow:
            await work(uow.session)
            await uow.commit()
    except ServiceError as error:
        return error
    return None


# --- the request list -------------------------------------------------------------------


async def _list_page(
    request: Request,
    actor: StaffActor,
    *,
    problems: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    async with session_factory_of(request)() as session:
        listing = await service.page(session, number)
        pending = await amendments.listed(session, "pending")
    return render(
        request,
        "privacy_requests.html",
        {
            "listing": listing,
            "pending": pending,
            "values": values or {},
            "today": utcnow().date().isoformat(),
            "kind_options": [("privacy_act", "Privacy Act"), ("foia", "FOIA")],
            "words": words,
        },
        actor=actor,
        errors=problems or [],
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def requests_page(request: Request, actor: PrivacyOfficer) -> HTMLResponse:
    """Requests, the soonest due first, a page at a time; a form for a new one."""
    return await _list_page(request, actor)


@router.post("/requests")
async def create_request(request: Request, actor: PrivacyOfficer, form: CheckedForm) -> Response:
    values = form_values(form, REQUEST_FIELDS)
    parsed = _parse(NewPrivacyRequest, values, "request")
    if isinstance(parsed, list):
        return await _list_page(
            request,
            actor,
            problems=parsed,
            values=_kept("request", values),
            status_code=UNPROCESSABLE,
        )
    created: list[int] = []

    async def work(session: AsyncSession) -> None:
        row = service.create(session, parsed, actor.email)
        await session.flush()
        created.append(row.id)
        await request_audit(request).append_in(
            session, "create", "privacy_request", f"privacy-request-{row.id}"
        )

    await _in_uow(request, work)
    return see_other(f"/staff/privacy/requests/{created[0]}?done=created#main-content")


# --- one request ------------------------------------------------------------------------


async def _request_page(
    request: Request,
    actor: StaffActor,
    request_id: int,
    *,
    problems: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    searched: dict[str, str] | None = None,
) -> HTMLResponse:
    searched = searched or {}
    found: list[FoundCase] | None = None
    search_problems: list[FieldError] = []
    async with session_factory_of(request)() as session:
        try:
            row = await service.get(session, request_id)
        except service.RequestNotFoundError as error:
            raise PageRefused(error.message, status.HTTP_404_NOT_FOUND, actor) from error
        view = await service.view(session, row)
        if searched:
            query = _parse(PersonSearch, searched, "search")
            if isinstance(query, list):
                search_problems = query
            else:
                try:
                    found = await service.search(session, blind_key(request), request_id, query)
                except ServiceError as error:
                    search_problems = [_service_problem("search", SEARCH_FIELDS, error)]
    if found is not None:
        await request_audit(request).record(
            "search", "privacy_request", f"privacy-request-{request_id}", fields=list(searched)
        )
    return render(
        request,
        "privacy_request.html",
        {
            "view": view,
            "found": found,
            "searched": searched,
            "values": {**_kept("search", searched), **(values or {})},
            "done": request.query_params.get("done"),
            "method_options": options(("email", "mail", "in_person", "portal")),
            "selected_options": [(n, n) for n in view.selected],
            "words": words,
        },
        actor=actor,
        errors=[*search_problems, *(problems or [])],
        status_code=UNPROCESSABLE if search_problems and status_code == 200 else status_code,
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
async def request_page(request: Request, request_id: int, actor: PrivacyOfficer) -> HTMLResponse:
    """The request: search for the person, select their cases, mark redactions, export."""
    return await _request_page(request, actor, request_id)


@router.post("/requests/{request_id}/search", response_class=HTMLResponse)
async def search_person(
    request: Request, request_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> HTMLResponse:
    """The search, posted: names and identity numbers stay out of URLs, logs and history."""
    searched = form_values(form, SEARCH_FIELDS)
    if not searched:
        problem = FieldError(
            "search-name", "name: give a name, email, control number or identity number"
        )
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=UNPROCESSABLE
        )
    return await _request_page(request, actor, request_id, searched=searched)


def _back(request_id: int, done: str) -> Response:
    return see_other(f"/staff/privacy/requests/{request_id}?done={done}#main-content")


@router.post("/requests/{request_id}/select")
async def select_cases(
    request: Request, request_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    chosen = [value for value in form.getlist("control_numbers") if isinstance(value, str)]
    if not chosen:
        problem = FieldError("select-cases", "control numbers: select at least one case")
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=UNPROCESSABLE
        )

    async def work(session: AsyncSession) -> None:
        await service.get(session, request_id)
        added = await service.select_cases(session, request_id, chosen, actor.email)
        await request_audit(request).append_in(
            session, "update", "privacy_request", f"privacy-request-{request_id}", fields=added
        )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = FieldError("select-cases", refused.message)
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=refused.status_code
        )
    return _back(request_id, "selected")


@router.post("/requests/{request_id}/unselect/{control_number}")
async def unselect_case(
    request: Request, request_id: int, control_number: str, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    async def work(session: AsyncSession) -> None:
        number = service.canonical("control_number", control_number)
        await service.unselect(session, request_id, number)
        await request_audit(request).append_in(
            session, "update", "privacy_request", f"privacy-request-{request_id}", fields=[number]
        )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = FieldError("select-cases", refused.message)
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=refused.status_code
        )
    return _back(request_id, "unselected")


@router.post("/requests/{request_id}/redactions")
async def add_redaction(
    request: Request, request_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    values = form_values(form, REDACTION_FIELDS)
    kept = _kept("redaction", values)
    parsed = _parse(NewRedaction, values, "redaction")
    if isinstance(parsed, list):
        return await _request_page(
            request, actor, request_id, problems=parsed, values=kept, status_code=UNPROCESSABLE
        )
    keyring = field_keyring(request)

    async def work(session: AsyncSession) -> None:
        await service.get(session, request_id)
        row = await service.add_redaction(session, keyring, request_id, parsed, actor.email)
        await request_audit(request).append_in(
            session, "create", "redaction", row.control_number, fields=[row.target]
        )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = _service_problem("redaction", REDACTION_FIELDS, refused)
        return await _request_page(
            request,
            actor,
            request_id,
            problems=[problem],
            values=kept,
            status_code=refused.status_code,
        )
    return _back(request_id, "redacted")


@router.post("/requests/{request_id}/redactions/{redaction_id}/delete")
async def remove_redaction(
    request: Request, request_id: int, redaction_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    async def work(session: AsyncSession) -> None:
        row = await service.remove_redaction(session, request_id, redaction_id)
        await request_audit(request).append_in(
            session, "delete", "redaction", row.control_number, fields=[row.target]
        )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = FieldError("redaction-target", refused.message)
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=refused.status_code
        )
    return _back(request_id, "unredacted")


@router.post("/requests/{request_id}/release")
async def release(
    request: Request, request_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    values = form_values(form, ("method",))
    parsed = _parse(NewRelease, values, "release")
    if isinstance(parsed, list):
        return await _request_page(
            request, actor, request_id, problems=parsed, status_code=UNPROCESSABLE
        )
    keyring = field_keyring(request)

    async def work(session: AsyncSession) -> None:
        row = await service.get(session, request_id)
        entry, _document = await service.release(session, keyring, row, parsed.method, actor.email)
        audit = request_audit(request)
        for number in entry.control_numbers:
            await audit.append_in(session, "read", "case", number, fields=["privacy_release"])
        await audit.append_in(session, "export", "privacy_request", f"privacy-request-{row.id}")

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = FieldError("release-method", refused.message)
        return await _request_page(
            request, actor, request_id, problems=[problem], status_code=refused.status_code
        )
    return _back(request_id, "released")


# --- amendment requests -----------------------------------------------------------------


async def _amendments_page(
    request: Request,
    actor: StaffActor,
    *,
    problems: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    async with session_factory_of(request)() as session:
        rows = await amendments.listed(session)
        views = [await amendments.view(session, row) for row in rows]
    return render(
        request,
        "privacy_amendments.html",
        {
            "amendments": views,
            "values": values or {},
            "today": utcnow().date().isoformat(),
            "done": request.query_params.get("done"),
            "words": words,
        },
        actor=actor,
        errors=problems or [],
        status_code=status_code,
    )


@router.get("/amendments", response_class=HTMLResponse)
async def amendments_page(request: Request, actor: PrivacyOfficer) -> HTMLResponse:
    """Amendment requests, the soonest acknowledgement due first; a form for a new one."""
    return await _amendments_page(request, actor)


@router.post("/amendments")
async def create_amendment(request: Request, actor: PrivacyOfficer, form: CheckedForm) -> Response:
    values = form_values(form, AMENDMENT_FIELDS)
    kept = _kept("amendment", values)
    parsed = _parse(NewAmendmentRequest, values, "amendment")
    if isinstance(parsed, list):
        return await _amendments_page(
            request, actor, problems=parsed, values=kept, status_code=UNPROCESSABLE
        )
    keyring = field_keyring(request)

    async def work(session: AsyncSession) -> None:
        row = await amendments.create(session, keyring, parsed, actor.email)
        await request_audit(request).append_in(
            session, "create", "amendment_request", row.control_number, fields=[row.field]
        )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = _service_problem("amendment", AMENDMENT_FIELDS, refused)
        return await _amendments_page(
            request, actor, problems=[problem], values=kept, status_code=refused.status_code
        )
    return see_other("/staff/privacy/amendments?done=recorded#main-content")


@router.post("/amendments/{amendment_request_id}/decision")
async def decide_amendment(
    request: Request, amendment_request_id: int, actor: PrivacyOfficer, form: CheckedForm
) -> Response:
    values = form_values(form, ("decision", "reason"))
    prefix = f"decision-{amendment_request_id}"
    parsed = _parse(AmendmentDecision, values, prefix)
    if isinstance(parsed, list):
        return await _amendments_page(
            request, actor, problems=parsed, values=_kept(prefix, values), status_code=UNPROCESSABLE
        )
    keyring, key = field_keyring(request), blind_key(request)

    async def work(session: AsyncSession) -> None:
        row = await amendments.get(session, amendment_request_id)
        await amendments.decide(session, keyring, key, row, parsed, actor.email)
        audit = request_audit(request)
        if parsed.decision == "accept":
            await audit.append_in(session, "update", "case", row.control_number, fields=[row.field])
        else:
            await audit.append_in(
                session, "update", "amendment_request", str(row.id), fields=["status"]
            )

    refused = await _in_uow(request, work)
    if refused is not None:
        problem = FieldError(f"{prefix}-decision", refused.message)
        return await _amendments_page(
            request, actor, problems=[problem], status_code=refused.status_code
        )
    return see_other(
        f"/staff/privacy/amendments?done={parsed.decision}#amendment-{amendment_request_id}"
    )
