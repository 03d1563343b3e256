"""Queries over the cases tables; no decisions, no commits."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ombuds_cases.models import Case, StatusChange


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

    def apply(self, query: Select[Any]) -> Select[Any]:
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
        return query


async def page(
    session: AsyncSession, filters: CaseFilter, limit: int, offset: int
) -> tuple[list[Case], int]:
    query = filters.apply(select(Case))
    rows = await session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list(rows.all()), int(total or 0)
