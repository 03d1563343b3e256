"""Legal holds: placed and lifted by the records officer with a reason, kept in
`retention_holds`, and signalled to the case's Retention run through the signal outbox in
the same transaction. Never commits (the caller's unit of work)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case import timeline
from ombuds_cases.case.actions import load
from ombuds_cases.case.signals import queue_retention_signal
from ombuds_cases.retention import schedule
from ombuds_cases.retention.models import (
    HELD,
    HOLDABLE_STATES,
    WAITING,
    RetentionHold,
    RetentionSchedule,
)
from ombuds_cases.retention.schemas import HoldRequest, HoldView, RetentionView
from ombuds_shared.db import utcnow
from ombuds_shared.http import ConflictError, NotFoundError
from ombuds_shared.retention_contracts import (
    LIFT_HOLD_SIGNAL,
    PLACE_HOLD_SIGNAL,
    LiftHold,
    PlaceHold,
)


class NotClosedError(ConflictError):
    code = "not_closed"


class PurgeUnderwayError(ConflictError):
    code = "purge_underway"


class NoStandingHoldError(ConflictError):
    code = "no_standing_hold"


class NoScheduleError(NotFoundError):
    def __init__(self, control_number: str) -> None:
        super().__init__(
            f"Case {control_number} has no retention schedule: it is not closed, or its "
            "retention run has not started yet."
        )


def hold_view(row: RetentionHold) -> HoldView:
    return HoldView.model_validate(row, from_attributes=True)


async def place(
    session: AsyncSession, control_number: str, reason: str, actor: str
) -> RetentionHold:
    """Hold a closed case's purge until the hold is lifted (409 if open or being purged)."""
    case = await load(session, control_number)
    if case.closed_at is None:
        raise NotClosedError(
            f"Case {control_number} is not closed: a legal hold delays the purge of a closed "
            "case, and an open case is not scheduled for one."
        )
    row = await schedule.schedule_for(session, control_number)
    if row is not None and row.state not in HOLDABLE_STATES:
        raise PurgeUnderwayError(
            f"Case {control_number} is {row.state}: a hold can no longer stop its purge."
        )
    now = utcnow()
    hold = RetentionHold(
        control_number=control_number, reason=reason, placed_by=actor, placed_at=now
    )
    session.add(hold)
    if row is not None:
        row.state, row.updated_at = HELD, now
    timeline.record(session, case, "hold_placed", f"legal hold placed: {reason}", actor)
    queue_retention_signal(
        session, control_number, PLACE_HOLD_SIGNAL, PlaceHold(reason=reason, by=actor)
    )
    await session.flush()
    return hold


async def lift(
    session: AsyncSession, control_number: str, reason: str, actor: str
) -> list[RetentionHold]:
    """Lift every standing hold (as the workflow does); a purge already due then runs at once."""
    case = await load(session, control_number)
    standing = await schedule.standing_holds(session, control_number)
    if not standing:
        raise NoStandingHoldError(f"Case {control_number} has no standing legal hold to lift.")
    now = utcnow()
    for hold in standing:
        hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, now, reason
    row = await schedule.schedule_for(session, control_number)
    if row is not None and row.state == HELD:
        row.state, row.updated_at = WAITING, now
    timeline.record(session, case, "hold_lifted", f"legal hold lifted: {reason}", actor)
    queue_retention_signal(session, control_number, LIFT_HOLD_SIGNAL, LiftHold(by=actor))
    return standing


async def holds_of(session: AsyncSession, control_number: str) -> list[RetentionHold]:
    rows = await session.scalars(
        select(RetentionHold)
        .where(RetentionHold.control_number == control_number)
        .order_by(RetentionHold.id)
    )
    return list(rows.all())


async def retention_of(session: AsyncSession, control_number: str) -> RetentionView:
    row: RetentionSchedule | None = await schedule.schedule_for(session, control_number)
    if row is None:
        raise NoScheduleError(control_number)
    return RetentionView(
        control_number=row.control_number,
        state=row.state,
        closed_at=row.closed_at,
        due_at=row.due_at,
        period_years=row.period_years,
        certificate_id=row.certificate_id,
        holds=[hold_view(h) for h in await holds_of(session, control_number)],
    )


async def place_from_form(
    session: AsyncSession, control_number: str, body: HoldRequest, actor: str
) -> RetentionHold:
    """The case page's hold form (the action forms' calling convention)."""
    return await place(session, control_number, body.reason, actor)


async def lift_from_form(
    session: AsyncSession, control_number: str, body: HoldRequest, actor: str
) -> list[RetentionHold]:
    return await lift(session, control_number, body.reason, actor)
