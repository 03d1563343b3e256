"""The retention schedule projection: what each closed case's Retention run is doing.

Kept up to date where the run is driven from: the signal sender after it starts or cancels a
run (in the commit that marks the signal sent), the holds API, and the certificate activity.
The archive activity (`cases.archive_case`) sets `ARCHIVING` in its own transaction. Never
commits (the caller's unit of work).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.disclosures.retention import years_after
from ombuds_cases.retention.models import (
    CANCELLED,
    CERTIFIED,
    HELD,
    WAITING,
    RetentionHold,
    RetentionSchedule,
)
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL, REOPEN_CASE_SIGNAL, WITHDRAW_CASE_SIGNAL
from ombuds_shared.db import utcnow
from ombuds_shared.retention_contracts import DEFAULT_RETENTION_YEARS


async def standing_holds(session: AsyncSession, control_number: str) -> list[RetentionHold]:
    rows = await session.scalars(
        select(RetentionHold)
        .where(RetentionHold.control_number == control_number, RetentionHold.lifted_at.is_(None))
        .order_by(RetentionHold.id)
    )
    return list(rows.all())


async def schedule_for(session: AsyncSession, control_number: str) -> RetentionSchedule | None:
    return await session.get(RetentionSchedule, control_number)


async def started(
    session: AsyncSession,
    control_number: str,
    closed_at: datetime,
    period_years: int = DEFAULT_RETENTION_YEARS,
) -> list[RetentionHold]:
    """A run started for this closure (a repeated start changes nothing).

    Returns the standing holds the new run has not been told of: those placed during an
    earlier closure whose run was cancelled by a reopening. Holds placed since this closure
    are already in the signal outbox behind the start.
    """
    row = await schedule_for(session, control_number)
    rerun = row is not None and row.state == CANCELLED
    if row is None:
        row = RetentionSchedule(control_number=control_number)
        session.add(row)
    standing = await standing_holds(session, control_number)
    row.closed_at = closed_at
    row.period_years = period_years
    # As the workflow computes it: 29 February falls on 28 February in other years.
    row.due_at = years_after(closed_at, period_years)
    row.state = HELD if standing else WAITING
    row.certificate_id = None
    row.updated_at = utcnow()
    return [hold for hold in standing if rerun and hold.placed_at < closed_at]


async def set_state(
    session: AsyncSession, control_number: str, state: str, certificate_id: str | None = None
) -> None:
    """Move the case's schedule to `state`; nothing when no run was ever started for it."""
    row = await schedule_for(session, control_number)
    if row is None:
        return
    row.state = state
    if certificate_id is not None:
        row.certificate_id = certificate_id
    row.updated_at = utcnow()


async def follow_signal(
    session: AsyncSession,
    control_number: str,
    signal: str,
    decided_at: datetime,
    period_years: int = DEFAULT_RETENTION_YEARS,
) -> list[RetentionHold]:
    """The projection's side of `starter.follow_lifecycle_signal`, once Temporal took it;
    returns the standing holds the new run must still be told of (see `started`)."""
    if signal in (CLOSE_CASE_SIGNAL, WITHDRAW_CASE_SIGNAL):
        return await started(session, control_number, decided_at, period_years)
    if signal == REOPEN_CASE_SIGNAL:
        row = await schedule_for(session, control_number)
        # A certified record stays certified: reopening cannot bring a purge back.
        if row is not None and row.state != CERTIFIED:
            await set_state(session, control_number, CANCELLED)
    return []
