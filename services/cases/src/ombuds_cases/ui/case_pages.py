"""The queue and the case page; every case the page shows is an audited read."""

import asyncio
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import CASE_LIST, request_audit, shown_fields
from ombuds_cases.case import queries, schemas
from ombuds_cases.case.deliveries import MESSAGE_FAILED
from ombuds_cases.case.status import STATUSES, CaseStatus
from ombuds_cases.case.views import case_detail
from ombuds_cases.disclosures.retention import years_after
from ombuds_cases.models import Case
from ombuds_cases.referrals.schemas import SEEDED_RECIPIENTS
from ombuds_cases.repository import CaseFilter
from ombuds_cases.retention import holds as retention_holds
from ombuds_cases.retention import schedule
from ombuds_cases.retention.schemas import RetentionView
from ombuds_cases.router import list_read_id
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.sla.levels import query_service_levels
from ombuds_cases.staff.auth import authorize
from ombuds_cases.staff.errors import ForbiddenError
from ombuds_cases.staff.policy import StaffActor, can, office_filter
from ombuds_cases.ui.pages import FieldError, PageRefused, field_errors, page_actor, render
from ombuds_shared.contracts import LIFECYCLE_STATE_QUERY, ServiceLevels
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.http import session_factory_of

router = APIRouter(prefix="/staff", include_in_schema=False)

CaseReader = Annotated[StaffActor, Depends(page_actor("case.read"))]

PAGE_SIZE = 25
Sort = Literal["received_desc", "received_asc", "updated_desc", "status"]
SORTS: dict[str, tuple[str, Any]] = {
    "received_desc": ("Newest received first", Case.received_at.desc()),
    "received_asc": ("Oldest received first", Case.received_at.asc()),
    "updated_desc": ("Recently changed first", Case.updated_at.desc()),
    "status": ("Status", Case.status.asc()),
}
KINDS = ("compliment", "question", "complaint", "tip", "comment")
CHANNELS = ("web", "phone", "mail", "fax", "comment_card", "email")
# Each action form and the permission it needs; a form the actor may not use is not shown.
ACTION_PERMISSIONS: dict[str, str] = {
    "note": "case.note",
    "assign": "case.assign",
    "priority": "case.update",
    "tags": "case.update",
    "link": "case.update",
    "source-pointer": "case.update",
    "findings": "case.update",
    "disposition": "case.update",
    "status": "case.update",
    "information-request": "case.update",
    "close": "case.close",
    "reopen": "case.reopen",
    "withdraw": "case.close",
    "refer": "case.update",
    # Legal holds on a closed case (the records officer's; no office involved).
    "hold": "retention.hold",
    "lift-hold": "retention.hold",
}
HOLD_ACTIONS = frozenset({"hold", "lift-hold"})
# How long the case page waits for the workflow's own account of its state.
WORKFLOW_QUERY_SECONDS = 2.0


def words(value: str) -> str:
    return value.replace("_", " ")


def options(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(value, words(value).capitalize()) for value in values]


class QueueQuery(BaseModel):
    """The queue's filters as the form sends them; an empty field means "any"."""

    status: CaseStatus | None = None
    kind: str | None = None
    category: str | None = None
    office: schemas.Office | None = None
    assignee: str | None = None
    channel: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    sort: Sort = "received_desc"
    page: int = 1


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


async def _sorted_page(
    session: AsyncSession, filters: CaseFilter, order: Any, limit: int, offset: int
) -> tuple[list[Case], int]:
    query: Select[Any] = filters.apply(select(Case))
    rows = await session.scalars(query.order_by(order, Case.id.desc()).limit(limit).offset(offset))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list(rows.all()), int(total or 0)


@router.get("/cases", response_class=HTMLResponse)
async def queue(request: Request, actor: CaseReader) -> HTMLResponse:
    """Cases the actor may see, filtered, sorted and a page at a time."""
    raw = {key: value for key, value in request.query_params.items() if value.strip()}
    problems: list[FieldError] = []
    try:
        query = QueueQuery.model_validate(raw)
    except ValidationError as error:
        problems = field_errors(error, "filter")
        query = QueueQuery()
    if query.received_from and query.received_to and query.received_from > query.received_to:
        problems.append(
            FieldError("filter-received-to", "received to: must not be before received from")
        )
    scoped = office_filter(actor)
    filters = CaseFilter(
        status=query.status,
        kind=query.kind,
        category=query.category,
        office=scoped.value if scoped else query.office,
        assignee=query.assignee,
        channel=query.channel,
        received_from=_start_of(query.received_from),
        received_to=_start_of(query.received_to + timedelta(days=1) if query.received_to else None),
    )
    page = max(query.page, 1)
    cases: list[Case] = []
    total = 0
    if not problems:
        async with session_factory_of(request)() as session:
            cases, total = await _sorted_page(
                session, filters, SORTS[query.sort][1], PAGE_SIZE, (page - 1) * PAGE_SIZE
            )
        # One record for the page, naming every case it showed (as the API's list does).
        shown = [case.control_number for case in cases]
        await request_audit(request).record("read", CASE_LIST, list_read_id(request), shown)
    kept = {key: value for key, value in raw.items() if key != "page"}
    return render(
        request,
        "queue.html",
        {
            "cases": cases,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "values": kept,
            "filtered": any(key != "sort" for key in kept),
            "scoped_office": scoped,
            "query_for": lambda number: _query_string({**kept, "page": str(number)}),
            "status_options": options(STATUSES),
            "kind_options": options(KINDS),
            "office_options": options(office.value for office in schemas.Office),
            "channel_options": options(CHANNELS),
            "sort_options": [(key, label) for key, (label, _) in SORTS.items()],
            "notice": request.query_params.get("notice"),
            "words": words,
        },
        actor=actor,
        errors=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if problems else 200,
    )


def _query_string(values: dict[str, str]) -> str:
    return urlencode(values)


async def _workflow_state(request: Request, control_number: str) -> dict[str, Any] | None:
    """The CaseLifecycle's own state, when the workflow engine answers in time."""
    temporal = getattr(request.app.state, "temporal", None)
    if temporal is None:
        return None
    try:
        handle = temporal.client.get_workflow_handle(f"case-{control_number}")
        state = await asyncio.wait_for(
            handle.query(LIFECYCLE_STATE_QUERY), timeout=WORKFLOW_QUERY_SECONDS
        )
    except Exception:  # the page shows the case whether or not Temporal answers
        return None
    if isinstance(state, BaseModel):
        return state.model_dump()
    return state if isinstance(state, dict) else None


async def _service_levels(request: Request, control_number: str) -> ServiceLevels | None:
    """The case's clocks, or None when the workflow engine does not answer (page still shown)."""
    temporal = getattr(request.app.state, "temporal", None)
    if temporal is None:
        return None
    try:
        return await query_service_levels(temporal.client, control_number)
    except Exception:  # the page shows the case whether or not Temporal answers
        return None


async def _retention(session: AsyncSession, control_number: str) -> RetentionView | None:
    try:
        return await retention_holds.retention_of(session, control_number)
    except retention_holds.NoScheduleError:
        return None


def canonical_or_refuse(control_number: str) -> str:
    try:
        return parse_control_number(control_number)
    except InvalidControlNumber as error:
        raise PageRefused(str(error), status.HTTP_404_NOT_FOUND) from error


async def case_page(
    request: Request,
    actor: StaffActor,
    control_number: str,
    *,
    errors: Iterable[FieldError] = (),
    values: dict[str, str] | None = None,
    status_code: int = 200,
    revealed: dict[str, Any] | None = None,
) -> HTMLResponse:
    """Render one case for the actor, auditing the read (and any refusal) first; `revealed`
    holds identity values the actor just revealed (shown in place of their masks)."""
    audit = request_audit(request)
    canonical = canonical_or_refuse(control_number)
    async with session_factory_of(request)() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await audit.record("read", "case", canonical, outcome="not_found")
            raise PageRefused(f"No case has control number {canonical}.", 404, actor)
        try:
            authorize(actor, "case.read", case.office)
        except ForbiddenError as error:
            await audit.record("read", "case", canonical, outcome="denied")
            raise PageRefused(error.message, actor=actor) from error
        try:
            detail = await case_detail(session, canonical)
        except CaseNotFoundError as error:
            raise PageRefused(error.message, 404, actor) from error
        entries = await queries.timeline_of(session, case.id)
        retention = await _retention(session, canonical) if case.closed_at else None
        # Also before the run has started: a hold placed then already stands.
        standing = await schedule.standing_holds(session, canonical) if case.closed_at else []
    await audit.record("read", "case", canonical, fields=shown_fields(detail))
    years: int = request.app.state.settings.retention_years
    workflow = await _workflow_state(request, canonical)
    levels = await _service_levels(request, canonical)
    return render(
        request,
        "case.html",
        {
            "case": detail,
            "timeline": entries,
            # Messages that never reached the person: shown first, so staff reach them otherwise.
            "failed_deliveries": [entry.data for entry in entries if entry.kind == MESSAGE_FAILED],
            "workflow": workflow,
            "levels": levels,
            "retention": retention,
            "standing_holds": standing,
            # Before the run has started (the signal outbox catches up), the date it will get.
            "expected_purge": years_after(case.closed_at, years) if case.closed_at else None,
            "values": values or {},
            "done": request.query_params.get("done"),
            "revealed": revealed or {},
            "may_reveal": can(actor, "case.reveal_identity", detail.office)
            and _has_masked(detail.details),
            "allowed": {
                action
                for action, permission in ACTION_PERMISSIONS.items()
                # An archived case is purged and refuses every action: offer none.
                if can(actor, permission, detail.office)
                # An archived case is purged and refuses every action: offer none.
                and detail.archived_at is None
                # A legal hold applies to a closed case only.
                and (case.closed_at is not None or action not in HOLD_ACTIONS)
            },
            "words": words,
            "choices": {
                "stage": options(get_args(schemas.NoteStage)),
                "office": options(office.value for office in schemas.Office),
                "priority": options(get_args(schemas.Priority)),
                "relation": options(get_args(schemas.LinkRelation)),
                "disposition": options(get_args(schemas.Disposition)),
                "status": options(get_args(schemas.WorkingStatus)),
                "recipient_id": [(key, f"{name} ({key})") for key, name in SEEDED_RECIPIENTS],
            },
        },
        actor=actor,
        errors=errors,
        status_code=status_code,
    )


def _has_masked(details: dict[str, Any]) -> bool:
    identity = details.get("identity")
    return isinstance(identity, dict) and any(
        isinstance(value, dict) and value.get("masked") for value in identity.values()
    )


@router.get("/cases/{control_number}", response_class=HTMLResponse)
async def show_case(control_number: str, request: Request, actor: CaseReader) -> HTMLResponse:
    """The case page: details, contact, identity, timeline, workflow state and action forms."""
    return await case_page(request, actor, control_number)
