"""Cases fixtures: a migrated database (the root `database_url`), the app, cases to work on."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import service
from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.models import OutboxRecord
from ombuds_devstack.processes import free_port
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.events import SubmissionReceivedV2
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from support.infra import create_postgres_database, drop_postgres_database, postgres_reachable

STAFF = {"Authorization": "Bearer dev-staff-token"}

OpenCase = Callable[..., Awaitable[str]]


def unreachable_platform() -> PlatformSettings:
    """Nothing listens here: the relay, consumer and Temporal connection just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


def submission(control_number: str, **overrides: Any) -> SubmissionReceivedV2:
    fields: dict[str, Any] = {
        "control_number": control_number,
        "form_version": "general-2026-11",
        "kind": "complaint",
        "category": "general",
        "topic": "service_delays",
        "channel": "web",
        "anonymous": False,
        "language": "en",
        "contact": {
            "first_name": "Ana",
            "last_name": "Pérez",
            "email": "ana@example.org",
            "city": "Chula Vista",
            "phone": "+1 619 555 0100",
        },
        "incident": {
            "narrative": "I waited six hours at the port.",
            "incident_date": "2026-11-01",
            "port_of_entry": "San Ysidro",
        },
        "received_at": datetime.now(UTC),
        **overrides,
    }
    return SubmissionReceivedV2.model_validate(fields)


@pytest.fixture(scope="module")
async def migrated_url(database_url: str) -> str:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    return database_url


@pytest.fixture
async def session_factory(migrated_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def open_case(session_factory: async_sessionmaker[AsyncSession]) -> OpenCase:
    """`await open_case(kind="tip")`: a new case in status received; returns its number."""

    async def opened(control_number: str | None = None, **overrides: Any) -> str:
        number = control_number or new_control_number()
        async with UnitOfWork(session_factory) as uow:
            service.open_case(uow.session, submission(number, **overrides))
            await uow.commit()
        return number

    return opened


@pytest.fixture
async def client(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=unreachable_platform()
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cases", headers=STAFF
        ) as client,
    ):
        yield client


async def outbox_types(
    session_factory: async_sessionmaker[AsyncSession], control_number: str
) -> list[str]:
    """The event types staged for one case, in order."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxRecord.event_type)
            .where(OutboxRecord.message_key == control_number)
            .order_by(OutboxRecord.id)
        )
        return list(rows.all())


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_cases_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A cases database of this test's own, migrated to head: for tests that tamper with it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable at OMBUDS_TEST_POSTGRES_URL")
    url = await create_postgres_database("ombuds_cases_test")
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def cases_sessions(
    fresh_cases_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(fresh_cases_url)
    yield create_session_factory(engine)
    await engine.dispose()
