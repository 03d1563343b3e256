"""Correction notices through the real broker (Tansu): `case.record-amended` published twice on
the cases topic; the referrals service tells the agency once on the outbound topic (read by
the agency's own consumer) and once on its signed webhook (a local receiver that verifies the
signature), and reports the named person outside the directory back on the referrals topic."""

import asyncio
import contextlib
import uuid
from pathlib import Path

import pytest

from ombuds_referrals.config import Settings
from ombuds_referrals.main import create_app
from ombuds_referrals.migrate import MIGRATIONS
from ombuds_referrals.models import DirectoryEntry
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_session_factory, utcnow
from ombuds_shared.events import (
    CASE_RECORD_AMENDED_V1,
    CASES_TOPIC,
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
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.tasks import running
from support.infra import Infra
from support.system import eventually
from support.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.integration

SECRET = "agency-correction-secret-0123456789"
# After the expected messages arrive, how long a duplicate has to show up.
SETTLE_SECONDS = 3.0


class Listener:
    """A consumer's handler that keeps what it is given."""

    def __init__(self) -> None:
        self.received: list[CloudEvent] = []

    async def __call__(self, event: CloudEvent) -> None:
        self.received.append(event)


async def publish_twice(platform: PlatformSettings, event: CloudEvent) -> None:
    await ensure_topics(platform, (CASES_TOPIC,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(
                physical_topic(platform, CASES_TOPIC),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


async def test_a_correction_reaches_the_agency_on_the_broker_and_its_webhook_once(
    infra: Infra, tmp_path: Path
) -> None:
    platform = infra.isolated_platform()
    url = f"sqlite:///{tmp_path / 'referrals.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    app = create_app(Settings(database_url=url, run_worker=False, platform=platform))
    agency, staff = Listener(), Listener()
    agency_consumer = EventConsumer(
        platform,
        group_id="agency-corrections",
        topics=(REFERRALS_OUTBOUND_TOPIC,),
        handlers={REFERRAL_CORRECTION_NOTICE_V1: agency},
    )
    staff_consumer = EventConsumer(
        platform,
        group_id="staff-corrections",
        topics=(REFERRALS_TOPIC,),
        handlers={REFERRAL_CORRECTION_UNDELIVERABLE_V1: staff},
    )
    async with contextlib.AsyncExitStack() as stack:
        receiver = await stack.enter_async_context(webhook_receiver(SECRET))
        await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(running(agency_consumer.run(), staff_consumer.run()))
        entry = DirectoryEntry(
            id=f"oig-{uuid.uuid4().hex[:6]}",
            kind="outside_agency",
            name="Office of Inspector General",
            postal_address="245 Murray Lane SW, Washington, DC 20528",
            kafka_enabled=True,
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            acknowledgement_business_days=2,
            response_business_days=10,
        )
        async with create_session_factory(app.state.engine)() as session:
            session.add(entry)
            await session.commit()

        control_number = new_control_number()
        body = CaseRecordAmendedV1(
            control_number=control_number,
            amendment_request_id=3,
            amendment_id="privacy-3",
            field="incident_date",
            amended_at=utcnow(),
            recipients=[
                CorrectionRecipientV1(
                    name=entry.name, address=entry.postal_address, disclosed_at=utcnow()
                ),
                CorrectionRecipientV1(
                    name="Sam Advocate", address="1 Main Street, Dover", disclosed_at=utcnow()
                ),
            ],
        )
        await publish_twice(
            platform, make_event("ombuds-cases", CASE_RECORD_AMENDED_V1, body, control_number)
        )

        async def all_arrived() -> bool:
            return bool(agency.received and staff.received and receiver.accepted)

        await eventually(all_arrived)
        await asyncio.sleep(SETTLE_SECONDS)

    [outbound] = agency.received
    assert outbound.subject == entry.id
    notice = ReferralCorrectionNoticeV1.model_validate(outbound.data)
    assert (notice.control_number, notice.field) == (control_number, "incident_date")
    # The receiver refuses a bad signature (401): none came, and exactly one was accepted.
    assert receiver.refused == 0
    [posted] = receiver.accepted
    assert ReferralCorrectionNoticeV1.model_validate(posted).notice_id == notice.notice_id.replace(
        ":kafka", ":webhook"
    )
    [undeliverable] = staff.received
    assert undeliverable.subject == control_number
    reported = ReferralCorrectionUndeliverableV1.model_validate(undeliverable.data)
    assert reported.recipient_name == "Sam Advocate"
