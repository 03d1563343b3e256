"""Queries over the cases tables; no decisions, no commits."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ombuds_cases.models import Case, StatusChange


async def by_control_number(
    session: AsyncSession, control_number: str, with_history: bool = False
) -> Case | None:
    query = select(Case).where(Case.control_number == control_number)
    if with_history:
        query = query.options(selectinload(Case.history))
    result: Case | None = await session.scalar(query)
    return result


async def step_applied(session: AsyncSession, case_id: int, step: str) -> bool:
    found = await session.scalar(
        select(StatusChange.id).where(StatusChange.case_id == case_id, StatusChange.step == step)
    )
    return found is not None


async def page(
    session: AsyncSession, status: str | None, limit: int, offset: int
) -> tuple[list[Case], int]:
    query = select(Case)
    count = select(func.count()).select_from(Case)
    if status is not None:
        query = query.where(Case.status == status)
        count = count.where(Case.status == status)
    rows = await session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset))
    total = await session.scalar(count)
    return list(rows.all()), int(total or 0)
