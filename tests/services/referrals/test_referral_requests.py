"""`ombuds.case.referral-requested.v1` makes one referral, with the id the case chose, however
often it arrives; an unknown recipient is answered with `referral.refused`. Temporal is
unreachable here, so the workflow start is left to the pending-starts loop."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_referrals.models import OutboxRecord, Referral
from ombuds_referrals.referral.requests import ReferralRequestHandler
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    CASE_REFERRAL_REQUESTED_V1,
    REFERRAL_CREATED_V1,
    REFERRAL_REFUSED_V1,
    CaseReferralRequestedV1,
    CloudEvent,
    make_event,
)
from ombuds_shared.temporal import TemporalConnection

from .conftest import unreachable_platform

Sessions = async_sessionmaker[AsyncSession]


def requested(recipient_id: str = "crcl", referral_id: str | None = None) -> CloudEvent:
    number = new_control_number()
    body = CaseReferralRequestedV1(
        control_number=number,
        referral_id=referral_id or str(uuid.uuid4()),
        recipient_id=recipient_id,
        purpose="investigation of a civil liberties complaint",
        nature="complaint narrative and contact details",
        requested_by="officer.kim",
        requested_at=datetime.now(UTC),
    )
    return make_event("ombuds/cases", CASE_REFERRAL_REQUESTED_V1, body, number)


async def outbox(sessions: Sessions, number: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord.event_type)
            .where(OutboxRecord.message_key == number)
            .order_by(OutboxRecord.id)
        )
        return list(rows.all())


def handler(sessions: Sessions) -> ReferralRequestHandler:
    return ReferralRequestHandler(sessions, TemporalConnection(unreachable_platform()))


async def test_a_request_makes_one_referral_however_often_it_arrives(sessions: Sessions) -> None:
    event = requested()
    # The same request again under another event id (the cases relay republished it).
    copy = event.model_copy(update={"id": str(uuid.uuid4())})
    consume = handler(sessions)

    for delivery in (event, event, copy):
        await consume(delivery)

    async with sessions() as session:
        [referral] = (
            await session.scalars(select(Referral).where(Referral.control_number == event.subject))
        ).all()
    assert referral.id == event.data["referral_id"]
    assert (referral.recipient_id, referral.status) == ("crcl", "created")
    assert referral.purpose == "investigation of a civil liberties complaint"
    # Temporal was down: the pending-starts loop starts it later.
    assert referral.workflow_started is False
    assert await outbox(sessions, event.subject) == [REFERRAL_CREATED_V1]


async def test_an_unknown_recipient_is_refused_back_to_the_case(sessions: Sessions) -> None:
    event = requested(recipient_id="nowhere")

    await handler(sessions)(event)

    async with sessions() as session:
        assert await session.get(Referral, event.data["referral_id"]) is None
        [row] = (
            await session.scalars(
                select(OutboxRecord).where(OutboxRecord.message_key == event.subject)
            )
        ).all()
    refused = CloudEvent.model_validate_json(row.payload)
    assert refused.type == REFERRAL_REFUSED_V1
    assert refused.data["referral_id"] == event.data["referral_id"]
    assert "nowhere" in refused.data["reason"]
