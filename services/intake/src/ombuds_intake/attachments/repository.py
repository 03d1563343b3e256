"""Queries over the attachments table; no decisions, no commits."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.attachments.models import Attachment


async def by_ids_for_update(session: AsyncSession, ids: Sequence[str]) -> dict[str, Attachment]:
    """The attachments with these ids, row-locked where the database can (PostgreSQL)."""
    result = await session.scalars(
        select(Attachment).where(Attachment.id.in_(ids)).with_for_update()
    )
    return {attachment.id: attachment for attachment in result}


async def claim_unclaimed(
    session: AsyncSession, ids: Sequence[str], control_number: str, claimed_at: datetime
) -> int:
    """Give the still-unclaimed attachments among `ids` to a submission; returns how many."""
    result = await session.execute(
        update(Attachment)
        .where(Attachment.id.in_(ids), Attachment.control_number.is_(None))
        .values(control_number=control_number, claimed_at=claimed_at)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


async def claimed_by_others(
    session: AsyncSession, ids: Sequence[str], control_number: str
) -> list[str]:
    """Which of `ids` another submission holds, read from the database, not the session."""
    result = await session.scalars(
        select(Attachment.id).where(
            Attachment.id.in_(ids), Attachment.control_number != control_number
        )
    )
    return list(result)


async def for_submission(session: AsyncSession, control_number: str) -> list[Attachment]:
    result = await session.scalars(
        select(Attachment)
        .where(Attachment.control_number == control_number)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list(result)
