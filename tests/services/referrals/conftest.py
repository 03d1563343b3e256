"""Referrals fixtures: a migrated database (the root `database_url`, SQLite and PostgreSQL),
the app on it with nothing else reachable, and helpers to issue keys and refer cases."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_devstack.processes import free_port
from ombuds_referrals.config import Settings
from ombuds_referrals.main import create_app
from ombuds_referrals.migrate import MIGRATIONS
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings


def unreachable_platform() -> PlatformSettings:
    """Nothing listens here: the relay and the Temporal connection just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture(scope="module")
async def referrals_url(database_url: str) -> str:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    return database_url


@pytest.fixture
async def sessions(referrals_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(referrals_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def client(referrals_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=referrals_url, run_worker=False, platform=unreachable_platform()
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://referrals") as c,
    ):
        yield c
