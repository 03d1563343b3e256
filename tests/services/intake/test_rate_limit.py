"""Intake's abuse controls as wired into the real app: rate limits and generic 500s."""

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ombuds_devstack.processes import free_port
from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.internal_errors import INTERNAL_ERROR_DETAIL
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.ratelimit import MemoryBackend, RedisBackend
from ombuds_shared.settings import PlatformSettings

EXAMPLE = Path(__file__).parents[3] / "examples" / "submissions" / "complaint.json"
REDIS_URL = os.environ.get("OMBUDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def complaint() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return body


def unreachable_platform() -> PlatformSettings:
    """No broker needed: intake accepts into its outbox while the relay keeps retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture(scope="module")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('intake-rate-limit') / 'intake.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    return url


def settings(database_url: str, **changes: Any) -> Settings:
    return Settings(database_url=database_url, platform=unreachable_platform(), **changes)


def client(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://intake"
    )


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        try:
            yield app
        finally:
            # The middleware closes its backend on ASGI lifespan shutdown, which
            # `lifespan_context` skips.
            await app.state.rate_limit_backend.aclose()


async def test_a_client_over_the_limit_gets_429_and_others_do_not(database_url: str) -> None:
    app = create_app(settings(database_url, rate_limit_per_minute=1, rate_limit_burst=3))
    assert isinstance(app.state.rate_limit_backend, MemoryBackend)
    async with (
        serving(app),
        client(app, "198.51.100.20") as busy,
        client(app, "198.51.100.21") as other,
    ):
        accepted = [await busy.post("/api/v1/submissions", json=complaint()) for _ in range(3)]
        assert [r.status_code for r in accepted] == [201, 201, 201], accepted[-1].text
        refused = await busy.post("/api/v1/submissions", json=complaint())
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        # One a minute: the next token is about a minute away.
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await other.post("/api/v1/submissions", json=complaint())).status_code == 201
        # Reading is not limited.
        number = accepted[0].json()["control_number"]
        status = await busy.get(
            f"/api/v1/submissions/{number}/status",
            headers={"X-Submitter-Email": complaint()["contact"]["email"]},
        )
        assert status.status_code == 200, status.text
        assert (await busy.get("/healthz")).status_code in (200, 503)
        assert (await busy.post("/api/v1/submissions", json=complaint())).status_code == 429


@pytest.fixture(scope="module")
async def redis_url() -> str:
    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await probe.ping()
    except (RedisError, OSError) as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (OMBUDS_TEST_REDIS_URL): {error!r}")
    finally:
        await probe.aclose()
    return REDIS_URL


async def test_two_intake_processes_share_the_limit_through_redis(
    database_url: str, redis_url: str
) -> None:
    def limited() -> Settings:
        return settings(
            database_url,
            rate_limit_per_minute=1,
            rate_limit_burst=2,
            rate_limit_backend="redis",
            redis_url=redis_url,
        )

    first, second = create_app(limited()), create_app(limited())
    assert isinstance(first.state.rate_limit_backend, RedisBackend)
    # Buckets outlive the test in Redis for a few minutes: a fresh address each run.
    address = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
    async with (
        serving(first),
        serving(second),
        client(first, address) as a,
        client(second, address) as b,
    ):
        assert (await a.post("/api/v1/submissions", json=complaint())).status_code == 201
        assert (await b.post("/api/v1/submissions", json=complaint())).status_code == 201
        for http in (a, b):
            refused = await http.post("/api/v1/submissions", json=complaint())
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTAKE_RATE_LIMIT_PER_MINUTE", "INTAKE_RATE_LIMIT_BURST"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert (defaults.rate_limit_per_minute, defaults.rate_limit_burst) == (30, 10)
    assert (defaults.rate_limit_backend, defaults.trusted_proxies) == ("memory", [])
    monkeypatch.setenv("INTAKE_RATE_LIMIT_PER_MINUTE", "120")
    monkeypatch.setenv("INTAKE_RATE_LIMIT_BURST", "40")
    monkeypatch.setenv("INTAKE_RATE_LIMIT_BACKEND", "redis")
    monkeypatch.setenv("INTAKE_TRUSTED_PROXIES", '["10.0.0.0/8", "192.0.2.1"]')
    configured = Settings()
    assert (configured.rate_limit_per_minute, configured.rate_limit_burst) == (120, 40)
    assert configured.rate_limit_backend == "redis"
    assert configured.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]


def test_a_mistyped_proxy_address_stops_the_app_at_start(database_url: str) -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        create_app(settings(database_url, trusted_proxies=["10.0.0.300"]))


async def test_an_unexpected_error_shows_no_internals(database_url: str) -> None:
    app = create_app(settings(database_url))

    @app.get("/boom")
    async def boom() -> None:
        raise KeyError("/srv/ombuds/intake.py secret")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert (body["detail"], body["code"]) == (INTERNAL_ERROR_DETAIL, "internal_error")
    assert str(uuid.UUID(body["error_id"])) == body["error_id"]
    for leak in ("KeyError", "Traceback", "secret", ".py"):
        assert leak not in response.text
