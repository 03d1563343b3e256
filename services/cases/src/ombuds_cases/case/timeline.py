"""Writing the case timeline and moving a case between statuses (the one place that does)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case.records import TimelineEntry
from ombuds_cases.case.status import check_transition
from ombuds_cases.models import Case, OutboxRecord, StatusChange
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_STATUS_CHANGED_V1,
    CASES_TOPIC,
    CaseStatusChangedV1,
    EventBody,
    make_event,
)
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/cases"


def record(
    session: AsyncSession,
    case: Case,
    kind: str,
    summary: str,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the case's timeline."""
    session.add(
        TimelineEntry(
            case=case,
            kind=kind,
            summary=summary,
            actor=actor,
            data=data or {},
            occurred_at=utcnow(),
        )
    )


def announce(session: AsyncSession, case: Case, event_type: str, body: EventBody) -> None:
    """Stage a `case.*` event in the same transaction as the change it announces."""
    add_to_outbox(
        session,
        OutboxRecord,
        CASES_TOPIC,
        make_event(EVENT_SOURCE, event_type, body, case.control_number),
    )


def move(
    session: AsyncSession, case: Case, to_status: str, reason: str, step: str, actor: str
) -> None:
    """Move a loaded case to `to_status` if the state machine allows it (409 otherwise)."""
    check_transition(case.status, to_status)
    now = utcnow()
    from_status = case.status
    session.add(
        StatusChange(
            case_id=case.id,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            step=step,
            changed_at=now,
        )
    )
    case.status = to_status
    case.updated_at = now
    record(
        session,
        case,
        "status_changed",
        f"{from_status} -> {to_status}: {reason}",
        actor,
        {"from_status": from_status, "to_status": to_status, "reason": reason},
    )
    # Intake follows this event for the submitter's status page: every change emits it.
    announce(
        session,
        case,
        CASE_STATUS_CHANGED_V1,
        CaseStatusChangedV1(
            control_number=case.control_number,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            changed_at=now,
        ),
    )
