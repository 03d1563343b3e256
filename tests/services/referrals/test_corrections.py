"""Correction notices (552a(c)(4)) on SQLite and PostgreSQL: `case.record-amended` delivered
twice tells a directory recipient once on the outbound topic and once on its signed webhook
(a real local receiver); a recipient outside the directory comes back undeliverable; a
webhook that is down is retried, one that refuses is reported undeliverable."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_referrals.corrections import (
    FAILED,
    NOT_IN_DIRECTORY,
    PENDING,
    SENT,
    CorrectionNotices,
    CorrectionWebhookSender,
)
from ombuds_referrals.models import CorrectionNotice, DirectoryEntry, OutboxRecord
from ombuds_referrals.retention import purge_case
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_RECORD_AMENDED_V1,
    REFERRAL_CORRECTION_NOTICE_V1,
    REFERRAL_CORRECTION_UNDELIVERABLE_V1,
    REFERRALS_OUTBOUND_TOPIC,
    REFERRALS_TOPIC,
    CaseRecordAmendedV1,
    CloudEvent,
    CorrectionRecipientV1,
    ReferralCorrectionNoticeV1,
    ReferralCorrectionUndeliverableV1,
    make_event,
)
from support.webhook_receiver import Receiver, webhook_receiver

Sessions = async_sessionmaker[AsyncSession]
SECRET = "correction-secret-" + "y" * 20
DISCLOSED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with webhook_receiver(SECRET) as running:
        yield running


async def agency(sessions: Sessions, webhook_url: str | None) -> DirectoryEntry:
    tag = uuid.uuid4().hex[:8]
    entry = DirectoryEntry(
        id=f"corrected-{tag}",
        kind="outside_agency",
        name=f"Corrected Agency {tag}",
        postal_address=f"{tag} Amend Street, Arlington, VA 22201",
        kafka_enabled=True,
        webhook_url=webhook_url,
        webhook_secret=SECRET if webhook_url else None,
        acknowledgement_business_days=2,
        response_business_days=10,
    )
    async with sessions() as session:
        session.add(entry)
        await session.commit()
    return entry


def amended(control_number: str, *recipients: CorrectionRecipientV1) -> CloudEvent:
    body = CaseRecordAmendedV1(
        control_number=control_number,
        amendment_request_id=7,
        amendment_id=f"privacy-{uuid.uuid4().hex[:6]}",
        field="incident_location",
        amended_at=utcnow(),
        recipients=list(recipients),
    )
    return make_event("ombuds-cases", CASE_RECORD_AMENDED_V1, body, control_number)


def disclosed_to(entry: DirectoryEntry) -> CorrectionRecipientV1:
    return CorrectionRecipientV1(
        name=entry.name, address=entry.postal_address, disclosed_at=DISCLOSED
    )


async def outbox(sessions: Sessions, event_type: str, key: str) -> list[OutboxRecord]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(OutboxRecord.event_type == event_type, OutboxRecord.message_key == key)
            .order_by(OutboxRecord.id)
        )
        return list(rows.all())


async def notices(sessions: Sessions, control_number: str) -> list[CorrectionNotice]:
    async with sessions() as session:
        rows = await session.scalars(
            select(CorrectionNotice)
            .where(CorrectionNotice.control_number == control_number)
            .order_by(CorrectionNotice.channel)
        )
        return list(rows.all())


async def test_a_redelivered_amendment_tells_each_recipient_once_on_each_channel(
    sessions: Sessions, receiver: Receiver
) -> None:
    entry = await agency(sessions, receiver.url)
    control_number = new_control_number()
    event = amended(control_number, disclosed_to(entry))
    handler = CorrectionNotices(sessions)
    await handler.handle(event)
    await handler.handle(event)
    # The same amendment announced again under a new event id: the notices' keys drop it.
    await handler.handle(event.model_copy(update={"id": str(uuid.uuid4())}))
    sender = CorrectionWebhookSender(sessions)
    assert await sender.deliver_due() == 1
    assert await sender.deliver_due() == 0

    [outbound] = await outbox(sessions, REFERRAL_CORRECTION_NOTICE_V1, entry.id)
    assert outbound.topic == REFERRALS_OUTBOUND_TOPIC
    notice = ReferralCorrectionNoticeV1.model_validate(json.loads(outbound.payload)["data"])
    assert (notice.control_number, notice.recipient_id, notice.field) == (
        control_number,
        entry.id,
        "incident_location",
    )
    assert notice.disclosed_at == DISCLOSED
    # The webhook receiver verified the signature (it refuses otherwise) and got it once.
    assert receiver.refused == 0
    [posted] = receiver.accepted
    assert posted["control_number"] == control_number
    assert posted["recipient_id"] == entry.id
    assert [(n.channel, n.status, n.attempts) for n in await notices(sessions, control_number)] == [
        ("kafka", SENT, 0),
        ("webhook", SENT, 1),
    ]
    assert await outbox(sessions, REFERRAL_CORRECTION_UNDELIVERABLE_V1, control_number) == []


async def test_a_recipient_outside_the_directory_comes_back_undeliverable(
    sessions: Sessions,
) -> None:
    entry = await agency(sessions, None)
    control_number = new_control_number()
    person = CorrectionRecipientV1(
        name="Dana Requester", address="12 Elm Street, Springfield", disclosed_at=DISCLOSED
    )
    event = amended(control_number, disclosed_to(entry), person)
    await CorrectionNotices(sessions).handle(event)
    await CorrectionNotices(sessions).handle(event)

    [row] = await outbox(sessions, REFERRAL_CORRECTION_UNDELIVERABLE_V1, control_number)
    assert row.topic == REFERRALS_TOPIC
    body = ReferralCorrectionUndeliverableV1.model_validate(json.loads(row.payload)["data"])
    assert (body.recipient_name, body.recipient_address) == (person.name, person.address)
    assert body.reason == NOT_IN_DIRECTORY
    assert len(await outbox(sessions, REFERRAL_CORRECTION_NOTICE_V1, entry.id)) == 1
    # No webhook configured: only the outbound topic carried the notice.
    assert [n.channel for n in await notices(sessions, control_number)] == ["kafka"]


async def test_a_webhook_that_is_down_is_retried_later_and_one_that_refuses_is_reported(
    sessions: Sessions, receiver: Receiver
) -> None:
    entry = await agency(sessions, receiver.url)
    control_number = new_control_number()
    await CorrectionNotices(sessions).handle(amended(control_number, disclosed_to(entry)))
    sender = CorrectionWebhookSender(sessions, base_delay=timedelta(minutes=1))

    receiver.answer_with = 503
    assert await sender.deliver_due() == 0
    [_, webhook] = await notices(sessions, control_number)
    assert (webhook.status, webhook.attempts) == (PENDING, 1)
    assert webhook.next_attempt_at is not None
    assert webhook.next_attempt_at > utcnow()
    # Not due yet: nothing is posted until the backoff has passed.
    assert await sender.deliver_due() == 0
    assert (await notices(sessions, control_number))[1].attempts == 1

    receiver.answer_with = 403
    assert await sender.deliver_due(now=utcnow() + timedelta(minutes=2)) == 0
    [_, webhook] = await notices(sessions, control_number)
    assert (webhook.status, webhook.attempts) == (FAILED, 2)
    assert "403" in (webhook.last_error or "")
    [row] = await outbox(sessions, REFERRAL_CORRECTION_UNDELIVERABLE_V1, control_number)
    body = ReferralCorrectionUndeliverableV1.model_validate(json.loads(row.payload)["data"])
    assert body.recipient_name == entry.name
    assert "webhook failed" in body.reason
    assert receiver.accepted == []


async def test_the_retention_purge_deletes_the_case_s_correction_events(sessions: Sessions) -> None:
    entry = await agency(sessions, None)
    control_number = new_control_number()
    person = CorrectionRecipientV1(
        name="Robin Neighbour", address="3 Oak Lane, Dover", disclosed_at=DISCLOSED
    )
    await CorrectionNotices(sessions).handle(amended(control_number, disclosed_to(entry), person))
    async with sessions() as session:
        manifest = await purge_case(session, control_number)
        await session.commit()
    # The outbound notice (keyed by the agency) and the undeliverable report naming the person.
    assert manifest["outbox"] == 2
    assert await outbox(sessions, REFERRAL_CORRECTION_NOTICE_V1, entry.id) == []
    assert await outbox(sessions, REFERRAL_CORRECTION_UNDELIVERABLE_V1, control_number) == []
    # What was sent to whom stays, as the deliveries do: it holds nothing about the person.
    assert [n.channel for n in await notices(sessions, control_number)] == ["kafka"]


async def test_a_webhook_failing_past_its_attempts_is_reported_undeliverable(
    sessions: Sessions, receiver: Receiver
) -> None:
    entry = await agency(sessions, receiver.url)
    control_number = new_control_number()
    await CorrectionNotices(sessions).handle(amended(control_number, disclosed_to(entry)))
    sender = CorrectionWebhookSender(sessions, max_attempts=2, base_delay=timedelta(0))
    receiver.answer_with = 503
    assert await sender.deliver_due() == 0
    assert (await notices(sessions, control_number))[1].status == PENDING
    assert await sender.deliver_due() == 0
    [_, webhook] = await notices(sessions, control_number)
    assert (webhook.status, webhook.attempts) == (FAILED, 2)
    assert len(await outbox(sessions, REFERRAL_CORRECTION_UNDELIVERABLE_V1, control_number)) == 1
    # Failed for good: a later pass posts nothing more.
    receiver.answer_with = None
    assert await sender.deliver_due() == 0
    assert receiver.accepted == []
