"""Redirections and the disclosure accounting on real parts: the cases and notifications
services on the Tansu broker and the SMTP sink. A case redirected to DHS TRIP or to an outside
agency reaches the submitter as one email; an anonymous one sends nothing; a referral's
delivery outside DHS, published twice, is accounted for once."""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from ombuds_cases import service as case_service
from ombuds_cases.config import Settings as CasesSettings
from ombuds_cases.main import create_app as create_cases_app
from ombuds_cases.migrate import MIGRATIONS as CASES_MIGRATIONS
from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.config import Settings as NotificationsSettings
from ombuds_notifications.main import create_app as create_notifications_app
from ombuds_notifications.migrate import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.events import (
    REFERRAL_DELIVERED_V1,
    REFERRALS_TOPIC,
    CloudEvent,
    DisclosureV1,
    ReferralDeliveredV1,
    SubmissionReceivedV2,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra
from support.system import eventually

STAFF = {"Authorization": "Bearer dev-staff-token"}


async def open_case(cases_url: str, anonymous: bool = False, language: str = "en") -> str:
    number = new_control_number()
    contact = (
        None
        if anonymous
        else {
            "first_name": "Ana",
            "last_name": "Ruiz",
            "email": f"ana+{uuid.uuid4().hex[:8]}@example.org",
        }
    )
    received = SubmissionReceivedV2.model_validate(
        {
            "control_number": number,
            "form_version": "general-2026-11",
            "kind": "complaint",
            "category": "general",
            "topic": None,
            "channel": "web",
            "anonymous": anonymous,
            "language": language,
            "contact": contact,
            "incident": {"narrative": "I am always sent to secondary inspection."},
            "received_at": datetime.now(UTC),
        }
    )
    engine = create_engine(cases_url)
    try:
        async with UnitOfWork(create_session_factory(engine)) as uow:
            case_service.open_case(uow.session, received)
            await uow.commit()
    finally:
        await engine.dispose()
    return number


async def publish(platform: PlatformSettings, *events: CloudEvent) -> None:
    await ensure_topics(platform, (REFERRALS_TOPIC,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                physical_topic(platform, REFERRALS_TOPIC),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


def mails_about(maildir: Path, control_number: str) -> list[Any]:
    return [m for m in read_messages(maildir) if control_number in str(m["Subject"])]


async def test_redirections_reach_the_submitter_and_deliveries_are_accounted_once(
    infra: Infra, tmp_path: Path
) -> None:
    cases_url = f"sqlite:///{tmp_path / 'cases.db'}"
    notifications_url = f"sqlite:///{tmp_path / 'notifications.db'}"
    await asyncio.to_thread(upgrade_to_head, CASES_MIGRATIONS, cases_url)
    await asyncio.to_thread(upgrade_to_head, NOTIFICATIONS_MIGRATIONS, notifications_url)
    platform = infra.isolated_platform()
    # No CaseLifecycle runs here: the cases service's signals wait for a Temporal nobody runs.
    cases_platform = platform.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    cases = create_cases_app(
        CasesSettings(database_url=cases_url, run_worker=False, platform=cases_platform)
    )
    notifications = create_notifications_app(
        NotificationsSettings(
            database_url=notifications_url,
            smtp_url=infra.smtp_url,
            run_worker=False,
            platform=platform,
        )
    )
    trip = await open_case(cases_url, language="es")
    outside = await open_case(cases_url)
    anonymous = await open_case(cases_url, anonymous=True)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(cases.router.lifespan_context(cases))
        await stack.enter_async_context(notifications.router.lifespan_context(notifications))
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cases), base_url="http://cases", headers=STAFF
            )
        )
        for number, body in (
            (trip, {"to": "dhs_trip", "reason": "travel redress"}),
            (outside, {"to": "outside_agency", "agency_name": "FBI", "reason": "federal crime"}),
            (anonymous, {"to": "dhs_trip", "reason": "travel redress"}),
        ):
            response = await client.post(f"/api/v1/cases/{number}/redirect", json=body)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "closed"

        async def both_sent() -> bool:
            return bool(mails_about(infra.maildir, trip) and mails_about(infra.maildir, outside))

        await eventually(both_sent)
        [trip_mail] = mails_about(infra.maildir, trip)
        assert "DHS TRIP" in trip_mail["Subject"]
        assert trip_mail["Content-Language"] == "es"
        assert "https://www.dhs.gov/dhs-trip" in trip_mail.get_payload(decode=True).decode()
        [outside_mail] = mails_about(infra.maildir, outside)
        assert outside_mail["Subject"] == f"Your submission {outside}: please contact FBI"

        delivered = make_event(
            "ombuds-referrals",
            REFERRAL_DELIVERED_V1,
            ReferralDeliveredV1(
                referral_id=str(uuid.uuid4()),
                control_number=outside,
                recipient_id="fbi",
                occurred_at=datetime.now(UTC),
                channel="kafka",
                action="deliver",
                disclosure=DisclosureV1(
                    date=datetime.now(UTC),
                    nature="complaint and contact details",
                    purpose="investigation of a federal crime",
                    recipient_name="Federal Bureau of Investigation",
                    recipient_address="935 Pennsylvania Avenue NW, Washington, DC 20535",
                ),
            ),
            outside,
        )
        await publish(platform, delivered, delivered)

        async def accounted() -> list[Any]:
            listed = await client.get(f"/api/v1/cases/{outside}/disclosures")
            rows: list[Any] = listed.json()
            return rows

        rows = await eventually(accounted)
        # The redelivery went through the same consumer right behind the first: once the
        # anonymous case's silence is checked below, the second copy has long been applied.
        assert [r["recipient_name"] for r in rows] == ["Federal Bureau of Investigation"]
        assert rows[0]["subject_name"] == "Ana Ruiz"

        notified = create_session_factory(notifications.state.engine)
        from ombuds_notifications.models import InboxRecord, Message

        async def anonymous_applied() -> bool:
            async with notified() as session:
                found = await session.execute(
                    InboxRecord.__table__.select().where(
                        InboxRecord.event_type == "ombuds.case.redirected.v1"
                    )
                )
                return len(found.all()) >= 3

        await eventually(anonymous_applied)
        async with notified() as session:
            logged = (
                await session.scalars(select(Message.id).where(Message.control_number == anonymous))
            ).all()
        assert logged == []
        assert mails_about(infra.maildir, anonymous) == []
