"""Referring a case (a staff action) and following its referrals (referral.* events).

Nothing here commits: the action runs in the router's unit of work, the events in the
consumer's, each with its timeline entries and outbox rows.

The rule for the case: asking for a referral moves the case to `referred` (from triage,
assigned or awaiting information; a case already referred stays so). The agency's
disposition becomes the case's findings with disposition `referred`, and a case in
`referred` with no other referral still open moves to `resolved`, ready for staff to close.
A recall (or a refusal by the referrals service) moves a case in `referred` with no other
open referral back to `assigned`.
"""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.case.actions import direct_step, load, set_disposition_on
from ombuds_cases.case.status import can_move, check_workable
from ombuds_cases.models import Case
from ombuds_cases.referrals.models import OPEN_STATUSES, CaseReferral
from ombuds_cases.referrals.schemas import ReferCase
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_FINDINGS_RECORDED_V1,
    CASE_REFERRAL_REQUESTED_V1,
    REFERRAL_ACKNOWLEDGED_V1,
    REFERRAL_CREATED_V1,
    REFERRAL_DISPOSITION_RECEIVED_V1,
    REFERRAL_ESCALATED_V1,
    REFERRAL_QUESTION_ASKED_V1,
    REFERRAL_RECALLED_V1,
    REFERRAL_REFUSED_V1,
    REFERRAL_REMINDER_SENT_V1,
    REFERRAL_RESPONDED_V1,
    CaseFindingsRecordedV1,
    CaseReferralRequestedV1,
    CloudEvent,
    ReferralAcknowledgedV1,
    ReferralCreatedV1,
    ReferralDispositionReceivedV1,
    ReferralEscalatedV1,
    ReferralEventV1,
    ReferralQuestionAskedV1,
    ReferralRecalledV1,
    ReferralRefusedV1,
    ReferralReminderSentV1,
    ReferralRespondedV1,
)

# The disposition code of a case the agency it was referred to has answered.
REFERRED_DISPOSITION = "referred"
# What the case follows, and the body model of each.
FOLLOWED: dict[str, type[ReferralEventV1]] = {
    REFERRAL_CREATED_V1: ReferralCreatedV1,
    REFERRAL_ACKNOWLEDGED_V1: ReferralAcknowledgedV1,
    REFERRAL_QUESTION_ASKED_V1: ReferralQuestionAskedV1,
    REFERRAL_REMINDER_SENT_V1: ReferralReminderSentV1,
    REFERRAL_ESCALATED_V1: ReferralEscalatedV1,
    REFERRAL_RESPONDED_V1: ReferralRespondedV1,
    REFERRAL_DISPOSITION_RECEIVED_V1: ReferralDispositionReceivedV1,
    REFERRAL_RECALLED_V1: ReferralRecalledV1,
    REFERRAL_REFUSED_V1: ReferralRefusedV1,
}


async def refer(session: AsyncSession, control_number: str, request: ReferCase, actor: str) -> Case:
    """Ask the referrals service to refer the case; the case is `referred` from now."""
    case = await load(session, control_number)
    check_workable(case.status, "refer")
    now = utcnow()
    referral_id = str(uuid.uuid4())
    session.add(
        CaseReferral(
            referral_id=referral_id,
            control_number=case.control_number,
            recipient_id=request.recipient_id,
            purpose=request.purpose,
            nature=request.nature,
            status="requested",
            requested_by=actor,
            requested_at=now,
            reminders_sent=0,
            questions=0,
            updated_at=now,
        )
    )
    if case.status != "referred":
        reason = f"referred to {request.recipient_id}"
        timeline.move(session, case, "referred", reason, direct_step(), actor)
    case.updated_at = now
    timeline.record(
        session,
        case,
        "referral_requested",
        f"referral to {request.recipient_id} requested: {request.purpose}",
        actor,
        {"referral_id": referral_id, "recipient_id": request.recipient_id},
    )
    timeline.announce(
        session,
        case,
        CASE_REFERRAL_REQUESTED_V1,
        CaseReferralRequestedV1(
            control_number=case.control_number,
            referral_id=referral_id,
            recipient_id=request.recipient_id,
            purpose=request.purpose,
            nature=request.nature,
            requested_by=actor,
            requested_at=now,
        ),
    )
    return case


async def for_case(session: AsyncSession, control_number: str) -> list[CaseReferral]:
    statement = (
        select(CaseReferral)
        .where(CaseReferral.control_number == control_number)
        .order_by(CaseReferral.requested_at, CaseReferral.referral_id)
    )
    return list((await session.scalars(statement)).all())


async def _projection(session: AsyncSession, body: ReferralEventV1) -> CaseReferral:
    """The row of this referral; one made through the referrals API gets one now."""
    row = await session.get(CaseReferral, body.referral_id)
    if row is None:
        row = CaseReferral(
            referral_id=body.referral_id,
            control_number=body.control_number,
            recipient_id=body.recipient_id,
            purpose=getattr(body, "purpose", ""),
            nature=getattr(body, "nature", ""),
            status="created",
            requested_at=body.occurred_at,
            reminders_sent=0,
            questions=0,
            updated_at=body.occurred_at,
        )
        session.add(row)
    return row


async def _others_open(session: AsyncSession, row: CaseReferral) -> bool:
    found = await session.scalar(
        select(CaseReferral.referral_id).where(
            CaseReferral.control_number == row.control_number,
            CaseReferral.referral_id != row.referral_id,
            CaseReferral.status.in_(OPEN_STATUSES),
        )
    )
    return found is not None


def _who(row: CaseReferral) -> str:
    return row.recipient_name or row.recipient_id


async def apply(session: AsyncSession, event: CloudEvent) -> None:
    """Follow one referral event: the projection, the case's timeline, and its status."""
    body = FOLLOWED[event.type].model_validate(event.data)
    row = await _projection(session, body)
    await session.flush()
    row.updated_at = body.occurred_at
    case = await repository.by_control_number(session, body.control_number, for_update=True)
    actor = f"referral:{body.recipient_id}"
    entry: tuple[str, str, dict[str, object]] | None = None
    match body:
        case ReferralCreatedV1():
            row.recipient_name = body.recipient_name
            if row.status == "requested":
                row.status = "created"
        case ReferralQuestionAskedV1():
            row.questions += 1
            entry = ("referral_question", f"{_who(row)} asks: {body.question}", {})
        case ReferralReminderSentV1():
            row.reminders_sent = max(row.reminders_sent, body.number)
            due = body.next_deadline.isoformat() if body.next_deadline else None
            entry = (
                "referral_reminder",
                f"reminder {body.number} to {_who(row)} ({body.phase})",
                {"phase": body.phase, "number": body.number, "next_deadline": due},
            )
        case ReferralEscalatedV1():
            row.escalated_at = row.escalated_at or body.occurred_at
            entry = (
                "referral_escalated",
                f"escalated to the supervisor: {_who(row)} has not answered ({body.phase})",
                {"phase": body.phase},
            )
        case ReferralRespondedV1():
            row.acknowledged_at = row.acknowledged_at or body.occurred_at
            row.responded_at = row.responded_at or body.occurred_at
            row.status = _advance(row.status, "responded")
            entry = ("referral_responded", f"{_who(row)} responded: {body.response}", {})
        case ReferralDispositionReceivedV1():
            row.acknowledged_at = row.acknowledged_at or body.occurred_at
            row.disposition, row.disposition_at = body.disposition, body.occurred_at
            row.status = "disposition_received"
            entry = ("referral_disposition", f"{_who(row)} disposition: {body.disposition}", {})
        case ReferralRecalledV1() | ReferralRefusedV1():
            row.status = "recalled" if isinstance(body, ReferralRecalledV1) else "refused"
            row.recalled_at = body.occurred_at if row.status == "recalled" else None
            row.ended_reason = body.reason
            entry = (
                f"referral_{row.status}",
                f"referral to {_who(row)} {row.status}: {body.reason}",
                {},
            )
        case ReferralAcknowledgedV1():
            row.acknowledged_at = row.acknowledged_at or body.occurred_at
            row.status = _advance(row.status, "acknowledged")
            entry = ("referral_acknowledged", f"{_who(row)} acknowledged the referral", {})
    if case is None or entry is None:
        return
    kind, summary, data = entry
    timeline.record(session, case, kind, summary, actor, {"referral_id": row.referral_id, **data})
    case.updated_at = utcnow()
    if isinstance(body, ReferralDispositionReceivedV1):
        await _resolve(session, case, row, body.disposition, actor)
    elif row.status in ("recalled", "refused"):
        await _back_to_work(session, case, row, actor)


_ORDER = ("requested", "created", "acknowledged", "responded", "disposition_received")


def _advance(current: str, to: str) -> str:
    """Statuses only move forward: a late acknowledgement never undoes a response."""
    if current in _ORDER and _ORDER.index(current) < _ORDER.index(to):
        return to
    return current


async def _resolve(
    session: AsyncSession, case: Case, row: CaseReferral, disposition: str, actor: str
) -> None:
    if case.status in ("closed", "withdrawn"):
        return
    now: datetime = utcnow()
    case.findings = f"Disposition of {_who(row)} (referral {row.referral_id}): {disposition}"
    timeline.announce(
        session,
        case,
        CASE_FINDINGS_RECORDED_V1,
        CaseFindingsRecordedV1(
            control_number=case.control_number,
            has_findings=True,
            has_recommendations=case.recommendations is not None,
            recorded_at=now,
        ),
    )
    set_disposition_on(session, case, REFERRED_DISPOSITION, actor)
    if case.status == "referred" and not await _others_open(session, row):
        reason = f"{_who(row)} gave its disposition"
        timeline.move(session, case, "resolved", reason, direct_step(), actor)


async def _back_to_work(session: AsyncSession, case: Case, row: CaseReferral, actor: str) -> None:
    if case.status != "referred" or await _others_open(session, row):
        return
    if can_move(case.status, "assigned"):
        reason = f"referral to {_who(row)} {row.status}"
        timeline.move(session, case, "assigned", reason, direct_step(), actor)
