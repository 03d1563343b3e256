"""The retention purge through the real broker: intake, referrals and notifications each hear
`case.archive-requested` (sent twice) on the cases topic, purge, and answer exactly once with
`retention.store-cleared` on their own topic, which is what the cases service consumes."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from ombuds_intake.config import Settings as IntakeSettings
from ombuds_intake.main import create_app as intake_app
from ombuds_intake.migrate import MIGRATIONS as INTAKE_MIGRATIONS
from ombuds_notifications.config import Settings as NotificationSettings
from ombuds_notifications.main import create_app as notifications_app
from ombuds_notifications.migrate import MIGRATIONS as NOTIFICATION_MIGRATIONS
from ombuds_notifications.models import CaseContact
from ombuds_referrals.config import Settings as ReferralSettings
from ombuds_referrals.main import create_app as referrals_app
from ombuds_referrals.migrate import MIGRATIONS as REFERRAL_MIGRATIONS
from ombuds_shared.db import create_session_factory, utcnow
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASES_TOPIC,
    NOTIFICATIONS_TOPIC,
    REFERRALS_TOPIC,
    STORE_CLEARED_V1,
    SUBMISSIONS_TOPIC,
    CaseArchiveRequestedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_consumer, new_producer, physical_topic
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra
from support.referrals import STAFF

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 60.0
EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"
ANSWERING_TOPICS = (SUBMISSIONS_TOPIC, REFERRALS_TOPIC, NOTIFICATIONS_TOPIC)


async def migrated(tmp_path: Path, name: str, migrations: Any) -> str:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    await asyncio.to_thread(upgrade_to_head, migrations, url)
    return url


@pytest.fixture
async def services(
    tmp_path: Path, infra: Infra
) -> AsyncIterator[tuple[PlatformSettings, dict[str, FastAPI]]]:
    platform = infra.isolated_platform()
    apps = {
        "intake": intake_app(
            IntakeSettings(
                database_url=await migrated(tmp_path, "intake", INTAKE_MIGRATIONS),
                attachments_dir=str(tmp_path / "attachments"),
                platform=platform,
            )
        ),
        "referrals": referrals_app(
            ReferralSettings(
                database_url=await migrated(tmp_path, "referrals", REFERRAL_MIGRATIONS),
                run_worker=False,
                platform=platform,
            )
        ),
        "notifications": notifications_app(
            NotificationSettings(
                database_url=await migrated(tmp_path, "notifications", NOTIFICATION_MIGRATIONS),
                smtp_url=infra.smtp_url,
                run_worker=False,
                platform=platform,
            )
        ),
    }
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield platform, apps


def client(app: FastAPI, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


async def until_contact_copied(app: FastAPI, control_number: str) -> None:
    """The submission reached notifications through the broker (so there is something to purge)."""
    sessions = create_session_factory(app.state.engine)
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as session:
            if await session.get(CaseContact, control_number) is not None:
                return
        await asyncio.sleep(0.2)
    pytest.fail(f"notifications never received the submission {control_number}")


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


async def answers(
    platform: PlatformSettings, control_number: str, expected: int
) -> list[tuple[str, StoreClearedV1]]:
    """Store-cleared events about the case on the three topics, read from the start; waits for
    `expected`, then a little longer so a duplicate would show."""
    await ensure_topics(platform, ANSWERING_TOPICS)
    consumer = new_consumer(platform, "retention-test-reader", *ANSWERING_TOPICS)
    await consumer.start()
    found: list[tuple[str, StoreClearedV1]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    settle_until: float | None = None
    try:
        while loop.time() < (settle_until or deadline):
            batches = await consumer.getmany(timeout_ms=200)
            for tp, messages in batches.items():
                for message in messages:
                    event = CloudEvent.model_validate_json(message.value or b"")
                    if event.type == STORE_CLEARED_V1 and event.subject == control_number:
                        found.append((tp.topic, StoreClearedV1.model_validate(event.data)))
            if len(found) >= expected and settle_until is None:
                settle_until = loop.time() + 3.0
    finally:
        await consumer.stop()
    return found


async def test_each_service_purges_and_answers_once_through_the_broker(
    services: tuple[PlatformSettings, dict[str, FastAPI]],
) -> None:
    platform, apps = services
    complaint: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    async with client(apps["intake"], "intake") as intake:
        response = await intake.post("/api/v1/submissions", json=complaint)
    assert response.status_code == 201, response.text
    control_number = response.json()["control_number"]
    async with client(apps["referrals"], "referrals") as referrals:
        referred = await referrals.post(
            "/api/v1/referrals",
            json={
                "control_number": control_number,
                "recipient_id": "fbi",
                "purpose": "investigation",
                "nature": "Maria Lopez's complaint narrative",
            },
            headers=STAFF,
        )
    assert referred.status_code == 201, referred.text
    await until_contact_copied(apps["notifications"], control_number)

    request = CaseArchiveRequestedV1(control_number=control_number, requested_at=utcnow())
    await publish_twice(
        platform, make_event("ombuds/cases", CASE_ARCHIVE_REQUESTED_V1, request, control_number)
    )

    found = await answers(platform, control_number, expected=3)
    # Exactly one answer per service though the request came twice, each on its own topic.
    assert sorted(body.service for _topic, body in found) == [
        "intake",
        "notifications",
        "referrals",
    ]
    answered = {body.service: (topic, body.manifest) for topic, body in found}
    assert answered["intake"][0] == physical_topic(platform, SUBMISSIONS_TOPIC)
    assert answered["referrals"][0] == physical_topic(platform, REFERRALS_TOPIC)
    assert answered["notifications"][0] == physical_topic(platform, NOTIFICATIONS_TOPIC)
    assert answered["intake"][1]["submissions"] == 1
    assert answered["referrals"][1]["referrals"] == 1
    assert answered["notifications"][1]["case_contacts"] == 1
    sessions = create_session_factory(apps["notifications"].state.engine)
    async with sessions() as session:
        contact = await session.scalar(
            select(CaseContact).where(CaseContact.control_number == control_number)
        )
    assert contact is None
