"""Notifications' events through a real broker into the running cases service: a sent and a
bounced message, each published twice, are on the case's timeline once each."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    NOTIFICATION_FAILED_V1,
    NOTIFICATION_SENT_V1,
    NOTIFICATIONS_TOPIC,
    SUBMISSION_RECEIVED_V2,
    SUBMISSIONS_TOPIC,
    CloudEvent,
    NotificationFailedV1,
    NotificationSentV1,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra

from .conftest import STAFF, submission

DEADLINE_SECONDS = 60.0
AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def platform(infra: Infra) -> PlatformSettings:
    return infra.isolated_platform()


@pytest.fixture
async def service(
    migrated_url: str, platform: PlatformSettings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=migrated_url, run_worker=False, platform=platform))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cases", headers=STAFF
        ) as client,
    ):
        yield client


async def publish(platform: PlatformSettings, topic: str, events: list[CloudEvent]) -> None:
    await ensure_topics(platform, (topic,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                physical_topic(platform, topic),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


async def test_sent_and_bounced_messages_reach_the_timeline_once_each(
    service: httpx.AsyncClient, platform: PlatformSettings
) -> None:
    number = new_control_number()
    received = make_event("ombuds/intake", SUBMISSION_RECEIVED_V2, submission(number), number)
    await publish(platform, SUBMISSIONS_TOPIC, [received])
    sent = make_event(
        "ombuds/notifications",
        NOTIFICATION_SENT_V1,
        NotificationSentV1(
            control_number=number,
            message_id="m-1",
            template="acknowledgement",
            channel="email",
            sent_at=AT,
        ),
        number,
    )
    bounced = make_event(
        "ombuds/notifications",
        NOTIFICATION_FAILED_V1,
        NotificationFailedV1(
            control_number=number,
            message_id="m-1",
            template="acknowledgement",
            channel="email",
            status="bounced",
            reason="550 5.1.1 mailbox unknown",
            attempts=1,
            failed_at=AT,
        ),
        number,
    )

    async def entries() -> list[dict[str, Any]]:
        response = await service.get(f"/api/v1/cases/{number}/timeline")
        if response.status_code != 200:
            return []
        return [e for e in response.json()["entries"] if e["kind"].startswith("message_")]

    # The case must exist first (a message for an unknown case is dropped, not retried).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while (await service.get(f"/api/v1/cases/{number}")).status_code != 200:
        assert loop.time() < deadline, "the case was never opened"
        await asyncio.sleep(0.2)
    # The marker comes last on the case's partition: once it shows, every copy was applied.
    marker = make_event(
        "ombuds/notifications",
        NOTIFICATION_SENT_V1,
        NotificationSentV1(
            control_number=number, message_id="m-2", template="closure", channel="email", sent_at=AT
        ),
        number,
    )
    await publish(platform, NOTIFICATIONS_TOPIC, [sent, sent, bounced, bounced, marker])
    found = await entries()
    while not any(entry["data"]["message_id"] == "m-2" for entry in found):
        assert loop.time() < deadline, f"timeline never showed the marker: {found}"
        await asyncio.sleep(0.2)
        found = await entries()
    assert [(e["kind"], e["actor"]) for e in found] == [
        ("message_sent", "notifications"),
        ("message_failed", "notifications"),
        ("message_sent", "notifications"),
    ]
    assert found[1]["data"]["reason"] == "550 5.1.1 mailbox unknown"
