"""The Referral workflow's activities on SQLite and PostgreSQL: deliveries on the outbound
topic and to a signed webhook (checked by a real local receiver), each once, and timer steps
recorded once and only while their phase is still open."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from ombuds_referrals import webhooks
from ombuds_referrals.activities import ReferralActivities
from ombuds_referrals.models import OutboxRecord
from ombuds_shared.contracts import DeliverReferral, RecordReferralStep
from ombuds_shared.events import (
    REFERRAL_DELIVERED_V1,
    REFERRAL_OUTBOUND_V1,
    REFERRAL_REMINDER_SENT_V1,
    REFERRALS_OUTBOUND_TOPIC,
)
from support.referrals import STAFF, issue_key, refer
from support.webhook_receiver import Receiver, webhook_receiver

Sessions = async_sessionmaker[AsyncSession]
SECRET = "shared-secret-" + "x" * 20


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with webhook_receiver(SECRET) as running:
        yield running


async def agency_with_webhook(client: httpx.AsyncClient, url: str, secret: str) -> str:
    agency_id = f"hooked-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/api/v1/admin/directory",
        json={
            "id": agency_id,
            "kind": "outside_agency",
            "name": "Hooked Agency",
            "postal_address": "9 Hook Road, Arlington, VA 22201",
            "kafka_enabled": True,
            "webhook_url": url,
            "webhook_secret": secret,
            "acknowledgement_business_days": 2,
            "response_business_days": 10,
        },
        headers=STAFF,
    )
    assert response.status_code == 201, response.text
    return agency_id


def delivery(referral_id: str, channel: str, action: str = "referral") -> DeliverReferral:
    return DeliverReferral(
        referral_id=referral_id,
        channel=channel,
        action=action,
        idempotency_key=f"{referral_id}:{action}:{channel}",
    )


async def outbox(sessions: Sessions, referral_id: str) -> list[OutboxRecord]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRecord).order_by(OutboxRecord.id))).all()
    return [r for r in rows if json.loads(r.payload)["data"].get("referral_id") == referral_id]


async def test_kafka_delivery_goes_once_to_the_outbound_topic_keyed_by_agency(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    referral = await refer(client, "fbi")
    activities = ReferralActivities(sessions)
    first = await activities.deliver(delivery(referral["id"], "kafka"))
    second = await activities.deliver(delivery(referral["id"], "kafka"))
    assert (first.already_delivered, second.already_delivered) == (False, True)

    rows = await outbox(sessions, referral["id"])
    outbound = [r for r in rows if r.topic == REFERRALS_OUTBOUND_TOPIC]
    assert [(r.event_type, r.message_key) for r in outbound] == [(REFERRAL_OUTBOUND_V1, "fbi")]
    delivered = [
        json.loads(r.payload)["data"] for r in rows if r.event_type == REFERRAL_DELIVERED_V1
    ]
    assert len(delivered) == 1
    # The FBI is outside DHS: the event carries what Form DHS-191 needs, as a routine use.
    disclosure = delivered[0]["disclosure"]
    assert disclosure["basis"] == "b3_routine_use"
    assert disclosure["recipient_name"] == "Federal Bureau of Investigation"
    assert disclosure["recipient_address"].startswith("935 Pennsylvania Avenue NW")
    assert disclosure["purpose"] == referral["purpose"]
    assert disclosure["nature"] == referral["nature"]
    listed = await client.get(
        "/api/v1/referrals", params={"control_number": referral["control_number"]}, headers=STAFF
    )
    assert listed.json()[0]["status"] == "delivered"


async def test_an_email_delivery_is_recorded_once_and_sends_nothing_here(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    """The notifications service sent the email; this records it (and the disclosure)."""
    referral = await refer(client, "state")
    activities = ReferralActivities(sessions)
    first = await activities.deliver(delivery(referral["id"], "email"))
    second = await activities.deliver(delivery(referral["id"], "email"))
    assert (first.already_delivered, second.already_delivered) == (False, True)

    rows = await outbox(sessions, referral["id"])
    assert [r.topic for r in rows if r.topic == REFERRALS_OUTBOUND_TOPIC] == []
    [delivered] = [
        json.loads(r.payload)["data"] for r in rows if r.event_type == REFERRAL_DELIVERED_V1
    ]
    assert delivered["channel"] == "email"
    assert delivered["disclosure"]["recipient_name"] == "U.S. Department of State"
    assert delivered["disclosure"]["basis"] == "b3_routine_use"


async def test_a_dhs_component_delivery_is_a_need_to_know_disclosure(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    referral = await refer(client, "crcl")
    await ReferralActivities(sessions).deliver(delivery(referral["id"], "kafka"))
    rows = await outbox(sessions, referral["id"])
    [delivered] = [
        json.loads(r.payload)["data"] for r in rows if r.event_type == REFERRAL_DELIVERED_V1
    ]
    disclosure = delivered["disclosure"]
    assert disclosure["basis"] == "b1_need_to_know"
    assert disclosure["recipient_name"] == "DHS Office for Civil Rights and Civil Liberties"
    assert disclosure["purpose"] == referral["purpose"]


async def test_the_webhook_is_signed_and_the_receiver_verifies_it(
    client: httpx.AsyncClient, sessions: Sessions, receiver: Receiver
) -> None:
    agency_id = await agency_with_webhook(client, receiver.url, receiver.secret)
    referral = await refer(client, agency_id)
    activities = ReferralActivities(sessions)
    result = await activities.deliver(delivery(referral["id"], "webhook"))
    assert result.already_delivered is False
    assert await activities.deliver(delivery(referral["id"], "webhook")) == result.model_copy(
        update={"already_delivered": True}
    )
    assert receiver.refused == 0
    [body] = receiver.accepted
    assert body["referral_id"] == referral["id"]
    assert body["control_number"] == referral["control_number"]
    assert body["action"] == "referral"


async def test_a_forged_signature_is_refused_and_not_retried(
    client: httpx.AsyncClient, sessions: Sessions, receiver: Receiver
) -> None:
    # The service signs with a secret the receiver does not share: a forgery to the receiver.
    agency_id = await agency_with_webhook(client, receiver.url, "not-the-shared-secret-at-all")
    referral = await refer(client, agency_id)
    with pytest.raises(ApplicationError) as refused:
        await ReferralActivities(sessions).deliver(delivery(referral["id"], "webhook"))
    assert refused.value.non_retryable is True
    assert refused.value.type == "WebhookRefused"
    assert receiver.refused == 1
    assert receiver.accepted == []
    assert not [
        r for r in await outbox(sessions, referral["id"]) if r.event_type == REFERRAL_DELIVERED_V1
    ]


def test_signatures_bind_the_timestamp_and_the_body() -> None:
    now = int(time.time())
    signature = webhooks.sign(SECRET, now, b'{"a":1}')
    assert webhooks.verify(SECRET, str(now), b'{"a":1}', signature, now)
    assert not webhooks.verify(SECRET, str(now), b'{"a":2}', signature, now)
    assert not webhooks.verify(SECRET, str(now + 1), b'{"a":1}', signature, now)
    assert not webhooks.verify("other" + SECRET, str(now), b'{"a":1}', signature, now)
    # A replay long after it was signed is refused even with a valid signature.
    assert not webhooks.verify(SECRET, str(now), b'{"a":1}', signature, now + 3600)


@pytest.mark.parametrize(
    ("status", "retryable"), [(503, True), (500, True), (408, True), (429, True), (400, False)]
)
async def test_which_answers_are_retried(receiver: Receiver, status: int, retryable: bool) -> None:
    receiver.answer_with = status
    with pytest.raises(ApplicationError) as failed:
        await webhooks.post_signed(
            receiver.url, receiver.secret, b"{}", "key-1", int(time.time()), 5.0
        )
    assert failed.value.non_retryable is (not retryable)
    assert str(status) in failed.value.message


async def test_timer_steps_are_recorded_once_and_only_while_due(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    referral = await refer(client, "oig")
    activities = ReferralActivities(sessions)
    at = datetime(2031, 3, 6, 15, tzinfo=UTC)
    step = RecordReferralStep(
        referral_id=referral["id"], step="reminder", phase="acknowledgement", number=1, at=at
    )
    first = await activities.record_step(step)
    retried = await activities.record_step(step)
    assert first.step_recorded
    assert retried.step_recorded
    reminders = [
        r
        for r in await outbox(sessions, referral["id"])
        if r.event_type == REFERRAL_REMINDER_SENT_V1
    ]
    assert len(reminders) == 1

    agency = await issue_key(client, "oig")
    await client.post(f"/api/v1/agency/referrals/{referral['id']}/acknowledge", headers=agency)
    second = await activities.record_step(step.model_copy(update={"number": 2}))
    assert second.step_recorded is False
    assert second.acknowledged is True
    snapshot = await activities.read_snapshot(referral["id"])
    assert snapshot.acknowledged
    assert not snapshot.responded
    listed = await client.get(
        "/api/v1/referrals", params={"control_number": referral["control_number"]}, headers=STAFF
    )
    assert listed.json()[0]["reminders_sent"] == 1
