"""Referrals: created by staff, answered by the recipient, recalled by staff.

Each change writes the referral's row and its event to the outbox in one transaction; the
caller commits, then signals the workflow.
"""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_referrals.models import DirectoryEntry, Referral, ReferralMessage
from ombuds_referrals.referral.events import stage
from ombuds_referrals.referral.schemas import ReferralCreate
from ombuds_shared.contracts import ReferralSnapshot
from ombuds_shared.events import (
    REFERRAL_ACKNOWLEDGED_V1,
    REFERRAL_CREATED_V1,
    REFERRAL_DISPOSITION_RECEIVED_V1,
    REFERRAL_QUESTION_ASKED_V1,
    REFERRAL_RECALLED_V1,
    REFERRAL_RESPONDED_V1,
    ReferralAcknowledgedV1,
    ReferralCreatedV1,
    ReferralDispositionReceivedV1,
    ReferralQuestionAskedV1,
    ReferralRecalledV1,
    ReferralRespondedV1,
)
from ombuds_shared.http import ConflictError, NotFoundError, ServiceError

# Statuses that end a referral: nothing more can be said on it.
FINISHED = frozenset({"disposition_received", "recalled"})


class ReferralNotFoundError(NotFoundError):
    pass


class ReferralFinishedError(ConflictError):
    pass


class UnknownRecipientError(ServiceError):
    status_code = 422
    code = "unknown_recipient"


def snapshot(referral: Referral, step_recorded: bool = False) -> ReferralSnapshot:
    return ReferralSnapshot(
        status=referral.status,
        acknowledged=referral.acknowledged_at is not None,
        responded=referral.responded_at is not None,
        disposition_received=referral.disposition_at is not None,
        recalled=referral.recalled_at is not None,
        step_recorded=step_recorded,
    )


def _base(referral: Referral, now: datetime) -> dict[str, object]:
    return {
        "referral_id": referral.id,
        "control_number": referral.control_number,
        "recipient_id": referral.recipient_id,
        "occurred_at": now,
    }


async def create_referral(
    session: AsyncSession,
    request: ReferralCreate,
    now: datetime,
    referral_id: str | None = None,
) -> tuple[Referral, DirectoryEntry]:
    """A new referral to an enabled directory entry, and its `referral.created` event.

    `referral_id` is given when the case asked for the referral (its event names the id).
    """
    recipient = await session.get(DirectoryEntry, request.recipient_id)
    if recipient is None or recipient.disabled:
        raise UnknownRecipientError(
            f"recipient_id: no enabled directory entry {request.recipient_id!r}"
        )
    referral = Referral(
        id=referral_id or str(uuid.uuid4()),
        control_number=request.control_number,
        recipient_id=recipient.id,
        purpose=request.purpose,
        nature=request.nature,
        status="created",
        reminders_sent=0,
        created_at=now,
        workflow_started=False,
    )
    session.add(referral)
    body = ReferralCreatedV1.model_validate(
        {
            **_base(referral, now),
            "recipient_name": recipient.name,
            "recipient_kind": recipient.kind,
            "purpose": referral.purpose,
            "nature": referral.nature,
        }
    )
    stage(session, referral, REFERRAL_CREATED_V1, body)
    return referral, recipient


async def get_referral(session: AsyncSession, referral_id: str) -> Referral:
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise ReferralNotFoundError(f"No referral {referral_id!r}.")
    return referral


async def referrals_for_case(session: AsyncSession, control_number: str) -> list[Referral]:
    statement = (
        select(Referral)
        .where(Referral.control_number == control_number)
        .order_by(Referral.created_at)
    )
    return list((await session.scalars(statement)).all())


async def referrals_for_agency(
    session: AsyncSession, agency_id: str, limit: int, offset: int
) -> list[Referral]:
    statement = (
        select(Referral)
        .where(Referral.recipient_id == agency_id)
        .order_by(Referral.created_at.desc(), Referral.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await session.scalars(statement)).all())


async def recall(session: AsyncSession, referral_id: str, reason: str, now: datetime) -> Referral:
    referral = await get_referral(session, referral_id)
    if referral.status in FINISHED:
        raise ReferralFinishedError(f"The referral is already {referral.status}.")
    referral.status = "recalled"
    referral.recalled_at = now
    referral.recall_reason = reason
    body = ReferralRecalledV1.model_validate({**_base(referral, now), "reason": reason})
    stage(session, referral, REFERRAL_RECALLED_V1, body)
    return referral


async def agency_referral(session: AsyncSession, agency_id: str, referral_id: str) -> Referral:
    """The agency's own referral; another agency's answers exactly like a missing one."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.recipient_id != agency_id:
        raise ReferralNotFoundError(f"No referral {referral_id!r}.")
    if referral.status in FINISHED:
        raise ReferralFinishedError(f"The referral is already {referral.status}.")
    return referral


async def acknowledge(
    session: AsyncSession, agency_id: str, referral_id: str, now: datetime
) -> tuple[Referral, bool]:
    """Record the acknowledgement once; False when it was already acknowledged."""
    referral = await agency_referral(session, agency_id, referral_id)
    if referral.acknowledged_at is not None:
        return referral, False
    referral.acknowledged_at = now
    if referral.status in ("created", "delivered"):
        referral.status = "acknowledged"
    stage(
        session,
        referral,
        REFERRAL_ACKNOWLEDGED_V1,
        ReferralAcknowledgedV1.model_validate(_base(referral, now)),
    )
    return referral, True


async def ask_question(
    session: AsyncSession, agency_id: str, referral_id: str, text: str, now: datetime
) -> Referral:
    referral = await agency_referral(session, agency_id, referral_id)
    session.add(
        ReferralMessage(referral_id=referral.id, kind="question", text=text, created_at=now)
    )
    body = ReferralQuestionAskedV1.model_validate({**_base(referral, now), "question": text})
    stage(session, referral, REFERRAL_QUESTION_ASKED_V1, body)
    return referral


async def respond(
    session: AsyncSession, agency_id: str, referral_id: str, text: str, now: datetime
) -> Referral:
    """A response also acknowledges a referral that was not acknowledged yet."""
    referral = await agency_referral(session, agency_id, referral_id)
    referral.acknowledged_at = referral.acknowledged_at or now
    referral.responded_at = referral.responded_at or now
    referral.status = "responded"
    session.add(
        ReferralMessage(referral_id=referral.id, kind="response", text=text, created_at=now)
    )
    body = ReferralRespondedV1.model_validate({**_base(referral, now), "response": text})
    stage(session, referral, REFERRAL_RESPONDED_V1, body)
    return referral


async def record_disposition(
    session: AsyncSession, agency_id: str, referral_id: str, disposition: str, now: datetime
) -> Referral:
    """The agency's final word: the referral is finished, the case can use it."""
    referral = await agency_referral(session, agency_id, referral_id)
    referral.acknowledged_at = referral.acknowledged_at or now
    referral.disposition = disposition
    referral.disposition_at = now
    referral.status = "disposition_received"
    session.add(
        ReferralMessage(
            referral_id=referral.id, kind="disposition", text=disposition, created_at=now
        )
    )
    body = ReferralDispositionReceivedV1.model_validate(
        {**_base(referral, now), "disposition": disposition}
    )
    stage(session, referral, REFERRAL_DISPOSITION_RECEIVED_V1, body)
    return referral
