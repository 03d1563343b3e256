"""Fixtures for the real infrastructure: started once per test session by the project's own code."""

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from support.infra import (
    Infra,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    running_infra,
)

# The suite posts submissions far faster than any person would, from one address; intake's
# rate limit (30 a minute, 10 at once) would refuse them. Raise it for every app the tests
# build, in process or through `make run`; the limiter's own tests set theirs explicitly.
UNTHROTTLED = {"INTAKE_RATE_LIMIT_PER_MINUTE": "1000000", "INTAKE_RATE_LIMIT_BURST": "1000000"}


def pytest_configure(config: pytest.Config) -> None:
    for name, value in UNTHROTTLED.items():
        os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    with running_infra(tmp_path_factory.mktemp("infra")) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """One service database per test module, on SQLite and (when reachable) on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'service.db'}"
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable at OMBUDS_TEST_POSTGRES_URL")
    url = await create_postgres_database("ombuds_test")
    try:
        yield url
    finally:
        await drop_postgres_database(url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark by speed: anything on real infrastructure is integration; tests/e2e is end-to-end."""
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
        elif "infra" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
