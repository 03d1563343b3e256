"""Queries over the cases tables; no decisions, no commits."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only, selectinload

from ombuds_cases.case.status import STATUSES
from ombuds_cases.models import Case, StatusChange
from ombuds_cases.queue.due import not_overdue_condition, overdue_condition
from ombuds_cases.queue.search import text_matches


async def by_control_number(
    session: AsyncSession,
    control_number: str,
    with_history: bool = False,
    for_update: bool = False,
) -> Case | None:
    query = select(Case).where(Case.control_number == control_number)
    if with_history:
        query = query.options(selectinload(Case.history))
    if for_update and session.get_bind().dialect.name == "postgresql":
        # Two staff actions on one case serialize instead of overwriting each other.
        query = query.with_for_update()
    result: Case | None = await session.scalar(query)
    return result


async def step_applied(session: AsyncSession, case_id: int, step: str) -> bool:
    found = await session.scalar(
        select(StatusChange.id).where(StatusChange.case_id == case_id, StatusChange.step == step)
    )
    return found is not None


@dataclass(frozen=True)
class CaseFilter:
    """The queue's filters; None means "any"."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    office: str | None = None
    assignee: str | None = None
    channel: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    # True: only open cases past their due date; False: only the others; `now` is "when".
    overdue: bool | None = None
    now: datetime | None = None
    # Full-text search over narratives and notes (see queue/search.py).
    text: str | None = None

    def apply(self, query: Select[Any], dialect: str = "postgresql") -> Select[Any]:
        equal = {
            Case.status: self.status,
            Case.kind: self.kind,
            Case.category: self.category,
            Case.office: self.office,
            Case.assignee: self.assignee,
            Case.channel: self.channel,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if self.received_from is not None:
            query = query.where(Case.received_at >= self.received_from)
        if self.received_to is not None:
            query = query.where(Case.received_at < self.received_to)
        if self.updated_from is not None:
            query = query.where(Case.updated_at >= self.updated_from)
        if self.updated_to is not None:
            query = query.where(Case.updated_at < self.updated_to)
        if self.overdue is not None:
            if self.now is None:
                raise ValueError("the overdue filter needs `now`")
            condition = overdue_condition if self.overdue else not_overdue_condition
            query = query.where(condition(self.now))
        if self.text is not None:
            query = query.where(text_matches(self.text, dialect))
        return query


SortField = Literal["received_at", "updated_at", "due_at", "priority", "status"]
SortOrder = Literal["asc", "desc"]
PRIORITY_RANKS = ("low", "normal", "high", "urgent")


def _sort_key(field: SortField) -> ColumnElement[Any]:
    """Priority by urgency and status by the order a case moves through them, not alphabetically."""
    if field == "priority":
        return case({name: rank for rank, name in enumerate(PRIORITY_RANKS)}, value=Case.priority)
    if field == "status":
        return case({name: rank for rank, name in enumerate(STATUSES)}, value=Case.status)
    columns = {"received_at": Case.received_at, "updated_at": Case.updated_at}
    return columns[field].expression


def ordering(sort: SortField | None, order: SortOrder) -> list[ColumnElement[Any]]:
    """The ORDER BY of the queue; ties (and no sort at all) go newest case first."""
    if sort is None:
        return [Case.id.desc()]
    if sort == "due_at":
        # Cases without a due date (opened before there were any) go last either way.
        due = Case.due_at.asc() if order == "asc" else Case.due_at.desc()
        return [due.nulls_last(), Case.id.desc()]
    key = _sort_key(sort)
    return [key.asc() if order == "asc" else key.desc(), Case.id.desc()]


# A full-text search counts at most this many matches: an exact count of a common word reads
# every matching row (a GIN index answers no count by itself), while the page itself stops
# after its rows. The API says when the total is capped (`CasePage.total_capped`).
SEARCH_COUNT_LIMIT = 1000
# What a queue row shows (schemas.CaseSummary): the narrative, details and the rest stay unread.
_SUMMARY_COLUMNS = (
    Case.control_number, Case.kind, Case.category, Case.channel, Case.status, Case.anonymous,
    Case.received_at, Case.updated_at, Case.office, Case.assignee, Case.priority, Case.due_at,
)  # fmt: skip


async def page(
    session: AsyncSession,
    filters: CaseFilter,
    limit: int,
    offset: int,
    sort: SortField | None = None,
    order: SortOrder = "desc",
) -> tuple[list[Case], int, bool]:
    """One page of the queue, the total, and whether that total is capped (a lower bound)."""
    query = filters.apply(select(Case), session.get_bind().dialect.name)
    rows = await session.scalars(
        query.options(load_only(*_SUMMARY_COLUMNS))
        .order_by(*ordering(sort, order))
        .limit(limit)
        .offset(offset)
    )
    counted = query.with_only_columns(Case.id)
    if filters.text is not None:
        counted = counted.limit(SEARCH_COUNT_LIMIT + 1)
    total = int(await session.scalar(select(func.count()).select_from(counted.subquery())) or 0)
    if filters.text is not None and total > SEARCH_COUNT_LIMIT:
        return list(rows.all()), SEARCH_COUNT_LIMIT, True
    return list(rows.all()), total, False
