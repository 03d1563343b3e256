"""Self-service events through a real broker into the running cases service, each sent twice."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    SUBMISSION_RECEIVED_V2,
    SUBMISSIONS_TOPIC,
    CloudEvent,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra

from .conftest import STAFF, submission
from .test_selfservice import correction, supplement, withdrawal

DEADLINE_SECONDS = 60.0
T = TypeVar("T")


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


async def publish(platform: PlatformSettings, events: list[CloudEvent]) -> None:
    await ensure_topics(platform, (SUBMISSIONS_TOPIC,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                physical_topic(platform, SUBMISSIONS_TOPIC),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


async def until(probe: Callable[[], Awaitable[T]], condition: Callable[[T], bool]) -> T:
    """Probe until `condition` holds for what it returns, or fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while True:
        found = await probe()
        if condition(found):
            return found
        if loop.time() > deadline:
            pytest.fail(f"never reached the expected state; last seen: {found!r}")
        await asyncio.sleep(0.2)


async def test_each_event_is_applied_once_though_delivered_twice(
    service: httpx.AsyncClient,
    platform: PlatformSettings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = new_control_number()
    received = make_event("ombuds/intake", SUBMISSION_RECEIVED_V2, submission(number), number)
    added = supplement(number)
    corrected = correction(number, "incident.port_of_entry", "San Ysidro", "Otay Mesa")
    withdrawn = withdrawal(number)
    # The last event marks the end: one key, one partition, so everything before it is done.
    marker = correction(number, "contact.phone", None, f"+1 619 555 {uuid.uuid4().int % 10000}")

    await publish(
        platform, [received, added, added, corrected, corrected, withdrawn, withdrawn, marker]
    )

    async def case_now() -> dict[str, Any]:
        response = await service.get(f"/api/v1/cases/{number}")
        return dict(response.json()) if response.status_code == 200 else {}

    case = await until(case_now, lambda c: len(c.get("amendments", [])) == 2)
    assert len(case["supplements"]) == 1
    assert [a["field"] for a in case["amendments"]] == ["incident.port_of_entry", "contact.phone"]
    assert case["port_of_entry"] == "Otay Mesa"
    assert case["status"] == "withdrawn"
    assert [c["to_status"] for c in case["status_history"]] == ["received", "withdrawn"]

    # The workflow was started on the real Temporal server and the withdrawal reached it.
    async def signal_outcome() -> list[str | None]:
        async with session_factory() as session:
            rows = await session.scalars(
                select(PendingSignal.outcome).where(PendingSignal.control_number == number)
            )
            return list(rows.all())

    assert await until(signal_outcome, lambda found: found == ["delivered"]) == ["delivered"]
