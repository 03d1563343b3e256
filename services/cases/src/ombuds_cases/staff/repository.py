"""Queries over the staff tables; no decisions, no commits."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.staff.models import StaffAccount, StaffSession, TrainingAttestation


async def by_id(session: AsyncSession, staff_id: str) -> StaffAccount | None:
    return await session.get(StaffAccount, staff_id)


async def by_email(
    session: AsyncSession, email: str, for_update: bool = False
) -> StaffAccount | None:
    """The account; `for_update` locks its row (PostgreSQL) so racing sign-ins queue up."""
    query = select(StaffAccount).where(StaffAccount.email == email)
    if for_update:
        query = query.with_for_update()
    found: StaffAccount | None = await session.scalar(query)
    return found


async def by_oidc_subject(session: AsyncSession, subject: str) -> StaffAccount | None:
    found: StaffAccount | None = await session.scalar(
        select(StaffAccount).where(StaffAccount.oidc_subject == subject).with_for_update()
    )
    return found


async def page(
    session: AsyncSession, office: str | None, role: str | None, limit: int, offset: int
) -> tuple[list[StaffAccount], int]:
    query = select(StaffAccount)
    count = select(func.count()).select_from(StaffAccount)
    for column, value in ((StaffAccount.office, office), (StaffAccount.role, role)):
        if value is not None:
            query = query.where(column == value)
            count = count.where(column == value)
    rows = await session.scalars(
        query.order_by(StaffAccount.name, StaffAccount.id).limit(limit).offset(offset)
    )
    total = await session.scalar(count)
    return list(rows.all()), int(total or 0)


async def latest_attestation(session: AsyncSession, staff_id: str) -> TrainingAttestation | None:
    found: TrainingAttestation | None = await session.scalar(
        select(TrainingAttestation)
        .where(TrainingAttestation.staff_id == staff_id)
        .order_by(TrainingAttestation.completed_on.desc(), TrainingAttestation.id.desc())
        .limit(1)
    )
    return found


async def live_session(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[StaffSession, StaffAccount] | None:
    """The unrevoked, unexpired session with this hash and its account."""
    row = (
        await session.execute(
            select(StaffSession, StaffAccount)
            .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
            .where(
                StaffSession.token_hash == token_hash,
                StaffSession.revoked_at.is_(None),
                StaffSession.expires_at > now,
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def revoke_sessions(session: AsyncSession, staff_id: str, now: datetime) -> None:
    await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
