"""Queries over intake's tables; no decisions, no commits."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.models import Submission


async def by_control_number(session: AsyncSession, control_number: str) -> Submission | None:
    result: Submission | None = await session.scalar(
        select(Submission).where(Submission.control_number == control_number)
    )
    return result


async def by_idempotency_key(session: AsyncSession, key: str) -> Submission | None:
    result: Submission | None = await session.scalar(
        select(Submission).where(Submission.idempotency_key == key)
    )
    return result
