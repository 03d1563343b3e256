"""Cases fixtures: a freshly migrated cases database per test, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.migrate import MIGRATIONS
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from support.infra import create_postgres_database, drop_postgres_database, postgres_reachable


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
