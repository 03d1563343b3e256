"""Queries over the self-service tables; no decisions, no commits."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.self_service.models import Amendment, Supplement, Withdrawal
from ombuds_intake.verification.models import VerificationCode
from ombuds_shared.db import utcnow


async def amendments(session: AsyncSession, control_number: str) -> list[Amendment]:
    """The submission's amendments, oldest first: the order they apply in."""
    result = await session.scalars(
        select(Amendment)
        .where(Amendment.control_number == control_number)
        .order_by(Amendment.amended_at, Amendment.id)
    )
    return list(result)


async def supplements(session: AsyncSession, control_number: str) -> list[Supplement]:
    result = await session.scalars(
        select(Supplement)
        .where(Supplement.control_number == control_number)
        .order_by(Supplement.supplemented_at, Supplement.id)
    )
    return list(result)


async def withdrawal(session: AsyncSession, control_number: str) -> Withdrawal | None:
    result: Withdrawal | None = await session.scalar(
        select(Withdrawal).where(Withdrawal.control_number == control_number)
    )
    return result


async def fewest_attempts(session: AsyncSession, purpose: str, subject: str) -> int | None:
    """The fewest guesses spent on any unused code for `subject` (None when there is none)."""
    result: int | None = await session.scalar(
        select(func.min(VerificationCode.attempts)).where(
            VerificationCode.purpose == purpose,
            VerificationCode.subject == subject,
            VerificationCode.used_at.is_(None),
            VerificationCode.expires_at > utcnow(),
        )
    )
    return result
