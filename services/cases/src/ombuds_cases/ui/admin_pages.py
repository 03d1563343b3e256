"""The auditor's search over the audit trail, and the staff-account admin page."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, get_args
from urllib.parse import urlencode

import pyotp
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from ombuds_cases.audit import store
from ombuds_cases.audit.dependencies import Action, Outcome, request_audit
from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff import errors, repository, service
from ombuds_cases.staff.models import StaffAccount
from ombuds_cases.staff.policy import Office, Role, StaffActor, holds, may_designate
from ombuds_cases.staff.schemas import NewStaffRequest, TrainingRequest
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

router = APIRouter(prefix="/staff", include_in_schema=False)

AuditSearcher = Annotated[StaffActor, Depends(page_actor("audit.search"))]
StaffReader = Annotated[StaffActor, Depends(page_actor("staff.read"))]
AUDIT_PAGE_SIZE = 50


class AuditQuery(BaseModel):
    actor: str | None = None
    record_id: str | None = None
    action: Action | None = None
    outcome: Outcome | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1


def _day(value: date | None, *, after: bool = False) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value + timedelta(days=1 if after else 0), time.min, tzinfo=UTC)


@router.get("/audit", response_class=HTMLResponse)
async def audit_search(request: Request, actor: AuditSearcher) -> HTMLResponse:
    """Audit records matching the filters, newest first; the search itself is recorded."""
    raw = {key: value for key, value in request.query_params.items() if value.strip()}
    problems: list[FieldError] = []
    try:
        query = AuditQuery.model_validate(raw)
    except ValidationError as error:
        problems, query = field_errors(error, "audit"), AuditQuery()
    page = max(query.page, 1)
    criteria = store.AuditFilter(
        actor=query.actor,
        record_id=query.record_id,
        action=query.action,
        outcome=query.outcome,
        since=_day(query.since),
        until=_day(query.until, after=True),
    )
    records: list[AuditRecord] = []
    total = 0
    if not problems:
        async with session_factory_of(request)() as session:
            records, total = await store.search(
                session, criteria, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE
            )
        used = [name for name, value in vars(criteria).items() if value is not None]
        await request_audit(request).record("search", "audit", "", fields=used)
    kept = {key: value for key, value in raw.items() if key != "page"}
    return render(
        request,
        "audit.html",
        {
            "records": records,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
            "values": kept,
            "query_for": lambda number: urlencode({**kept, "page": str(number)}),
            "action_options": options(get_args(Action)),
            "outcome_options": options(get_args(Outcome)),
            "words": words,
        },
        actor=actor,
        errors=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if problems else 200,
    )


async def _accounts_page(
    request: Request,
    actor: StaffActor,
    *,
    problems: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    office = actor.office if actor.role == Role.SUPERVISOR and not actor.is_development else None
    async with session_factory_of(request)() as session:
        accounts, total = await repository.page(
            session, office.value if office else None, None, 200, 0
        )
    return render(
        request,
        "accounts.html",
        {
            "accounts": accounts,
            "total": total,
            "values": values or {},
            "created": created,
            "done": request.query_params.get("done"),
            "today": utcnow().date().isoformat(),
            "role_options": options(role.value for role in Role),
            "office_options": options(office.value for office in Office),
            "manageable": lambda account, permission: _may_manage(actor, account, permission),
            "words": words,
        },
        actor=actor,
        errors=problems or [],
        status_code=status_code,
    )


def _may_manage(actor: StaffActor, account: StaffAccount, permission: str) -> bool:
    """Whether to offer a form for this account: the service decides again on the post."""
    office = Office(account.office) if account.office else None
    return (
        account.id != actor.staff_id
        and holds(actor, permission)
        and may_designate(actor, Role(account.role), office)
    )


@router.get("/accounts", response_class=HTMLResponse)
async def accounts(request: Request, actor: StaffReader) -> HTMLResponse:
    """Staff accounts the actor may see; forms for what the actor may do with them."""
    return await _accounts_page(request, actor)


def _rule_field(prefix: str, error: ServiceError) -> str:
    field = error.field if isinstance(error, errors.StaffRuleError) else "email"
    return f"{prefix}-{field.replace('_', '-')}"


@router.post("/accounts", response_class=HTMLResponse)
async def create_account(request: Request, form: CheckedForm) -> Response:
    """Designate an account with a TOTP factor; its one-time password is shown once."""
    actor = await page_actor("staff.manage")(request)
    names = ("email", "name", "role", "office", "expires_on")
    values = form_values(form, names)
    kept = {f"new-{name.replace('_', '-')}": value for name, value in values.items()}
    try:
        body = NewStaffRequest.model_validate(values)
    except ValidationError as error:
        return await _accounts_page(
            request, actor, problems=field_errors(error, "new"), values=kept, status_code=422
        )
    new = service.NewStaff(str(body.email), body.name, body.role, body.office, body.expires_on)
    issuer: str = request.app.state.settings.staff_totp_issuer
    try:
        async with UnitOfWork(session_factory_of(request)) as uow:
            account, password = await service.create_staff(uow.session, actor, new, utcnow())
            await uow.session.flush()
            uri = await service.enrol_totp(uow.session, actor, account.id, issuer, utcnow())
            await request_audit(request).append_in(
                uow.session, "create", "staff_account", account.id, fields=list(names)
            )
            await uow.commit()
    except errors.ForbiddenError as error:
        raise PageRefused(error.message, actor=actor) from error
    except ServiceError as error:
        problem = FieldError(_rule_field("new", error), error.message)
        return await _accounts_page(
            request, actor, problems=[problem], values=kept, status_code=error.status_code
        )
    created = {
        "email": account.email,
        "password": password,
        "totp_uri": uri,
        "totp_secret": pyotp.parse_uri(uri).secret,
    }
    return await _accounts_page(request, actor, created=created, status_code=201)


@router.post("/accounts/{staff_id}/deactivate", response_class=HTMLResponse)
async def deactivate_account(staff_id: str, request: Request, form: CheckedForm) -> Response:
    """Deactivate at once: the account's open sessions end with this commit."""
    actor = await page_actor("staff.manage")(request)
    try:
        async with UnitOfWork(session_factory_of(request)) as uow:
            await service.deactivate(uow.session, actor, staff_id, utcnow())
            await request_audit(request).append_in(
                uow.session, "update", "staff_account", staff_id, fields=["active"]
            )
            await uow.commit()
    except (errors.ForbiddenError, errors.StaffNotFoundError) as error:
        raise PageRefused(error.message, error.status_code, actor) from error
    return see_other("/staff/accounts?done=deactivated")


@router.post("/accounts/{staff_id}/training", response_class=HTMLResponse)
async def attest_training(staff_id: str, request: Request, form: CheckedForm) -> Response:
    """Record that the account's holder completed the privacy course (PIA 8.2)."""
    actor = await page_actor("training.attest")(request)
    prefix = f"training-{staff_id}"
    values = form_values(form, ("completed_on",))
    kept = {f"{prefix}-completed-on": values.get("completed_on", "")}
    try:
        body = TrainingRequest.model_validate(values)
    except ValidationError as error:
        return await _accounts_page(
            request, actor, problems=field_errors(error, prefix), values=kept, status_code=422
        )
    try:
        async with UnitOfWork(session_factory_of(request)) as uow:
            await service.record_training(
                uow.session, actor, staff_id, body.course, body.completed_on, utcnow()
            )
            await request_audit(request).append_in(
                uow.session, "create", "training_attestation", staff_id, fields=["completed_on"]
            )
            await uow.commit()
    except (errors.ForbiddenError, errors.StaffNotFoundError) as error:
        raise PageRefused(error.message, error.status_code, actor) from error
    except errors.StaffRuleError as error:
        problem = FieldError(_rule_field(prefix, error), error.message)
        return await _accounts_page(
            request, actor, problems=[problem], values=kept, status_code=422
        )
    return see_other("/staff/accounts?done=trained")
