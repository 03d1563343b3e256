"""The staff API of the cases service."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import CASE_LIST, AuditDep, shown_fields
from ombuds_cases.case.schemas import Office
from ombuds_cases.case.status import CaseStatus
from ombuds_cases.case.views import case_detail
from ombuds_cases.crypto.dependencies import FieldKeyringDep
from ombuds_cases.models import Case
from ombuds_cases.repository import CaseFilter, SortField, SortOrder
from ombuds_cases.schemas import CaseDetail, CasePage, CaseSummary
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor, can, office_filter
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1", tags=["cases"])

CaseReader = Annotated[StaffActor, Depends(permitted("case.read"))]
MAX_EXPORT_ROWS = 10_000


def canonical_control_number(control_number: str) -> str:
    """The control number as stored; a mistyped one is refused with what is wrong with it."""
    try:
        return parse_control_number(control_number)
    except InvalidControlNumber as error:
        raise HTTPException(status_code=422, detail=str(error)) from error


def out_of_scope(control_number: str) -> CaseNotFoundError:
    """The refusal for a case outside the actor's office: the same 404 as a missing case.

    404 rather than 403, so that no id or path tells an officer whether another office's case
    exists (the audit trail still records the attempt as `denied`).
    """
    return CaseNotFoundError(control_number)


ControlNumberPath = Annotated[str, Path(max_length=40)]


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def _check_range(first: date | None, last: date | None, first_name: str, last_name: str) -> None:
    if first and last and first > last:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", last_name),
                    "type": "date_range",
                    "msg": f"{last_name} must not be before {first_name}",
                }
            ]
        )


def _day_after(day: date | None) -> datetime | None:
    return _start_of(day + timedelta(days=1) if day else None)


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters as the actor may apply them; `filters` is None when they ask for
    another office than their own (which finds nothing)."""

    filters: CaseFilter | None
    sort: SortField | None
    order: SortOrder


def queue_query(
    actor: CaseReader,
    status_filter: Annotated[CaseStatus | None, Query(alias="status")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    office: Annotated[Office | None, Query()] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    received_from: Annotated[date | None, Query(description="first day, inclusive")] = None,
    received_to: Annotated[date | None, Query(description="last day, inclusive")] = None,
    updated_from: Annotated[date | None, Query(description="first day, inclusive")] = None,
    updated_to: Annotated[date | None, Query(description="last day, inclusive")] = None,
    overdue: Annotated[bool | None, Query(description="open and past its due date")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="full text: narrative, notes")
    ] = None,
    sort: Annotated[SortField | None, Query(description="default: newest case first")] = None,
    order: Annotated[SortOrder, Query()] = "desc",
) -> QueueQuery:
    _check_range(received_from, received_to, "received_from", "received_to")
    _check_range(updated_from, updated_to, "updated_from", "updated_to")
    scope = office_filter(actor)
    if scope is not None and office not in (None, scope):
        return QueueQuery(None, sort, order)
    filters = CaseFilter(
        status=status_filter,
        kind=kind,
        category=category,
        office=scope or office,
        assignee=assignee,
        channel=channel,
        received_from=_start_of(received_from),
        received_to=_day_after(received_to),
        updated_from=_start_of(updated_from),
        updated_to=_day_after(updated_to),
        overdue=overdue,
        now=utcnow(),
        text=q,
    )
    return QueueQuery(filters, sort, order)


QueueQueryDep = Annotated[QueueQuery, Depends(queue_query)]


def list_read_id(request: Request) -> str:
    """What a list read names as its record: the path and query it answered (200 characters)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"[:200]


async def _matching(
    session_factory: SessionFactoryDep, query: QueueQuery, limit: int, offset: int
) -> tuple[list[Case], int, bool]:
    if query.filters is None:
        return [], 0, False
    async with session_factory() as session:
        return await repository.page(session, query.filters, limit, offset, query.sort, query.order)


@router.get("/cases", response_model=CasePage)
async def list_cases(
    actor: CaseReader,  # first: it names the caller before AuditDep reads who that is
    query: QueueQueryDep,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """Cases filtered, searched and sorted (newest first by default), one page at a time; an
    office-bound actor sees only their office's cases (asking for another office finds none).

    The read is audited once for the page, naming every control number it showed.
    """
    cases, total, capped = await _matching(session_factory, query, limit, offset)
    shown = [case.control_number for case in cases]
    await audit.record("read", CASE_LIST, list_read_id(request), fields=shown)
    return CasePage(
        items=[CaseSummary.model_validate(case) for case in cases],
        total=total,
        total_capped=capped,
        limit=limit,
        offset=offset,
    )


EXPORT_COLUMNS = (
    "control_number",
    "kind",
    "category",
    "channel",
    "status",
    "received_at",
    "updated_at",
    "office",
    "assignee",
    "priority",
    "due_at",
)


@router.get("/cases/export", response_class=PlainTextResponse)
async def export_cases(
    actor: Annotated[StaffActor, Depends(permitted("case.export"))],
    query: QueueQueryDep,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS)] = MAX_EXPORT_ROWS,
) -> PlainTextResponse:
    """The queue's matching cases as CSV (the summary columns, no narrative or contact);
    audited as one `export` naming every control number in the file."""
    cases, _total, _capped = await _matching(session_factory, query, limit, 0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for case in cases:
        summary = CaseSummary.model_validate(case).model_dump(mode="json")
        writer.writerow(["" if summary[c] is None else summary[c] for c in EXPORT_COLUMNS])
    shown = [case.control_number for case in cases]
    await audit.record("export", CASE_LIST, list_read_id(request), fields=shown)
    return PlainTextResponse(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


@router.get("/cases/{control_number}", response_model=CaseDetail)
async def get_case(
    control_number: ControlNumberPath,
    actor: CaseReader,  # first: it names the caller before AuditDep reads who that is
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    keyring: FieldKeyringDep,
) -> CaseDetail:
    """One case with its status history, notes, links and what the submitter added; every
    attempt to read it is audited, whatever its outcome. A case outside the actor's office
    answers 404 like a missing one (see `out_of_scope`)."""
    try:
        canonical = parse_control_number(control_number)
    except InvalidControlNumber as error:
        await audit.record("read", "case", control_number, outcome="error")
        raise HTTPException(status_code=422, detail=str(error)) from error
    try:
        async with session_factory() as session:
            detail = await case_detail(session, canonical, keyring)
    except CaseNotFoundError:
        await audit.record("read", "case", canonical, outcome="not_found")
        raise
    if not can(actor, "case.read", detail.office):
        await audit.record("read", "case", canonical, outcome="denied")
        raise out_of_scope(canonical)
    await audit.record("read", "case", canonical, fields=shown_fields(detail))
    return detail
