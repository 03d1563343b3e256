"""The per-client rate limiter: in memory on a fake clock, and on the real local Redis."""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import Receive, Scope, Send

from ombuds_shared.ratelimit import (
    Decision,
    MemoryBackend,
    RateLimit,
    RateLimitBackend,
    RateLimitRule,
    RedisBackend,
)

SUBMISSIONS = "/api/v1/submissions"
REDIS_URL = os.environ.get("OMBUDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class FakeClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def rule(per_minute: int = 15, burst: int = 3, path: str = SUBMISSIONS) -> RateLimitRule:
    # 15 a minute is 0.25 tokens a second: one token every 4 s, exact in binary floating point.
    return RateLimitRule("POST", path, per_minute=per_minute, burst=burst)


def client(middleware: RateLimit, address: str = "198.51.100.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=middleware, client=(address, 40000)),
        base_url="http://intake",
    )


async def post_n(http: httpx.AsyncClient, n: int, path: str = SUBMISSIONS) -> list[int]:
    return [(await http.post(path, json={})).status_code for _ in range(n)]


def limiter(
    clock: FakeClock,
    rules: Sequence[RateLimitRule] = (),
    trusted_proxies: Sequence[str] = (),
    exempt: Sequence[str] = (),
) -> RateLimit:
    return RateLimit(ok_app, rules or [rule()], MemoryBackend(clock), trusted_proxies, exempt)


async def test_burst_is_allowed_then_429_with_retry_after() -> None:
    async with client(limiter(FakeClock())) as http:
        assert await post_n(http, 3) == [200, 200, 200]
        refused = await http.post(SUBMISSIONS, json={})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "4"
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == {
        "detail": "Too many requests from your address. Please wait 4 seconds and try again.",
        "code": "rate_limited",
    }


async def test_bucket_refills_with_time_up_to_the_burst() -> None:
    clock = FakeClock()
    async with client(limiter(clock)) as http:
        assert await post_n(http, 4) == [200, 200, 200, 429]
        clock.advance(3.5)
        early = await http.post(SUBMISSIONS, json={})
        assert early.status_code == 429
        # Half a second short of a token: Retry-After is whole seconds, at least 1.
        assert early.headers["retry-after"] == "1"
        clock.advance(0.5)
        assert await post_n(http, 2) == [200, 429]
        clock.advance(1000)
        assert await post_n(http, 4) == [200, 200, 200, 429]


async def test_clients_are_limited_independently() -> None:
    middleware = limiter(FakeClock())
    async with client(middleware, "198.51.100.1") as one, client(middleware, "198.51.100.2") as two:
        assert await post_n(one, 4) == [200, 200, 200, 429]
        assert await post_n(two, 3) == [200, 200, 200]
        assert await post_n(one, 1) == [429]


async def test_other_methods_and_paths_are_untouched() -> None:
    async with client(limiter(FakeClock())) as http:
        assert await post_n(http, 4) == [200, 200, 200, 429]
        assert (await http.get(SUBMISSIONS)).status_code == 200
        assert (await http.get(f"{SUBMISSIONS}/OMB-1/status")).status_code == 200
        assert await post_n(http, 2, "/api/v1/other") == [200, 200]
        assert await post_n(http, 2, "/api/v1/submissionsX") == [200, 200]
        # Below the prefix is the same rule (and the same bucket).
        assert await post_n(http, 1, f"{SUBMISSIONS}/drafts") == [429]


async def test_each_rule_has_its_own_bucket() -> None:
    rules = [rule(path=SUBMISSIONS), rule(path="/api/v1/attachments", burst=2)]
    async with client(limiter(FakeClock(), rules)) as http:
        assert await post_n(http, 4) == [200, 200, 200, 429]
        assert await post_n(http, 3, "/api/v1/attachments") == [200, 200, 429]


async def test_an_ipv6_client_is_its_64_bit_prefix() -> None:
    middleware = limiter(FakeClock())
    async with (
        client(middleware, "2001:db8:1:2::1") as first,
        client(middleware, "2001:db8:1:2:ffff::9") as same_network,
        client(middleware, "2001:db8:1:3::1") as other_network,
        client(middleware, "::ffff:198.51.100.1") as mapped,
        client(middleware, "198.51.100.1") as ipv4,
    ):
        assert await post_n(first, 2) == [200, 200]
        assert await post_n(same_network, 2) == [200, 429]
        assert await post_n(other_network, 3) == [200, 200, 200]
        assert await post_n(mapped, 3) == [200, 200, 200]
        assert await post_n(ipv4, 1) == [429]


async def test_exempt_clients_are_never_limited() -> None:
    middleware = limiter(FakeClock(), exempt=["10.1.0.0/16"])
    async with client(middleware, "10.1.2.3") as exempt, client(middleware, "10.2.0.1") as other:
        assert await post_n(exempt, 10) == [200] * 10
        assert await post_n(other, 4) == [200, 200, 200, 429]


def scope(peer: str | None, forwarded: Sequence[str] = ()) -> Scope:
    return {
        "type": "http",
        "client": (peer, 1234) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    trusting = RateLimit(ok_app, [rule()], trusted_proxies=["10.0.0.0/8", "192.0.2.9"])
    plain = RateLimit(ok_app, [rule()])
    assert plain.client_address(scope("10.0.0.5", ["203.0.113.7"])) == "10.0.0.5"
    assert trusting.client_address(scope("198.51.100.3", ["203.0.113.7"])) == "198.51.100.3"
    assert trusting.client_address(scope("10.0.0.5", ["203.0.113.7"])) == "203.0.113.7"
    assert trusting.client_address(scope("192.0.2.9", ["203.0.113.7"])) == "203.0.113.7"
    # The client may send its own X-Forwarded-For; only what our proxies appended counts.
    chain = ["6.6.6.6, 203.0.113.7", "10.0.0.9"]
    assert trusting.client_address(scope("10.0.0.5", chain)) == "203.0.113.7"
    assert trusting.client_address(scope("10.0.0.5", ["10.0.0.7, 10.0.0.8"])) == "10.0.0.7"
    assert trusting.client_address(scope("10.0.0.5")) == "10.0.0.5"
    assert trusting.client_address(scope(None, ["203.0.113.7"])) == "unknown"


async def test_spoofed_forwarded_for_does_not_escape_the_limit() -> None:
    middleware = limiter(FakeClock(), trusted_proxies=["10.0.0.1"])
    async with (
        client(middleware, "198.51.100.1") as direct,
        client(middleware, "10.0.0.1") as proxy,
    ):
        statuses = [
            (
                await direct.post(SUBMISSIONS, json={}, headers={"X-Forwarded-For": f"1.1.1.{i}"})
            ).status_code
            for i in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        forwarded = {"X-Forwarded-For": "203.0.113.50"}
        proxied = [(await proxy.post(SUBMISSIONS, headers=forwarded)).status_code for _ in range(4)]
        assert proxied == [200, 200, 200, 429]
        other = await proxy.post(SUBMISSIONS, headers={"X-Forwarded-For": "203.0.113.51"})
        assert other.status_code == 200


def test_a_rule_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError, match="per_minute"):
        RateLimitRule("POST", SUBMISSIONS, per_minute=0, burst=1)
    with pytest.raises(ValueError, match="burst"):
        RateLimitRule("POST", SUBMISSIONS, per_minute=1, burst=0)


def test_a_malformed_proxy_address_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="not-an-ip"):
        RateLimit(ok_app, [rule()], trusted_proxies=["not-an-ip"])


async def test_memory_drops_buckets_that_have_refilled() -> None:
    clock = FakeClock()
    backend = MemoryBackend(clock)
    for i in range(5):
        assert (await backend.take(f"client-{i}", 0.25, 3)).allowed
    assert len(backend) == 5
    # One token spent refills in 4 s; then each bucket is the same as none.
    clock.advance(4)
    await backend.take("client-new", 0.25, 3)
    assert len(backend) == 1


async def test_memory_never_holds_more_than_max_buckets() -> None:
    backend = MemoryBackend(FakeClock(), max_buckets=3)
    for i in range(50):
        await backend.take(f"client-{i}", 0.25, 3)
        assert len(backend) <= 3
    # The most recent clients keep their state.
    await backend.take("client-49", 0.25, 3)
    await backend.take("client-49", 0.25, 3)
    assert not (await backend.take("client-49", 0.25, 3)).allowed


class RecordingBackend:
    def __init__(self) -> None:
        self.closed = False

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        return Decision(allowed=True)

    async def aclose(self) -> None:
        self.closed = True


async def test_the_backend_is_closed_when_the_app_shuts_down() -> None:
    backend = RecordingBackend()
    middleware = RateLimit(ok_app, [rule()], backend)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, str]:
        return next(messages)

    async def send(message: object) -> None:
        pass

    assert not backend.closed
    await middleware({"type": "lifespan"}, receive, send)
    assert backend.closed


# --- Redis --------------------------------------------------------------------------------


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


@pytest.fixture
async def redis_backends(redis_url: str) -> AsyncIterator[tuple[RedisBackend, RedisBackend]]:
    """Two backends, as two processes would have, on one fresh key prefix and one clock."""
    clock = FakeClock()
    prefix = f"ombuds-test:{uuid.uuid4()}:"
    first = RedisBackend(redis_url, clock=clock, key_prefix=prefix)
    second = RedisBackend(redis_url, clock=clock, key_prefix=prefix)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_redis_shares_buckets_between_middlewares(
    redis_backends: tuple[RedisBackend, RedisBackend],
) -> None:
    first, second = redis_backends
    clock = first.clock
    assert isinstance(clock, FakeClock)
    one, two = RateLimit(ok_app, [rule()], first), RateLimit(ok_app, [rule()], second)
    async with client(one) as via_one, client(two) as via_two, client(two, "198.51.100.9") as other:
        assert await post_n(via_one, 2) == [200, 200]
        assert await post_n(via_two, 1) == [200]
        refused = await via_two.post(SUBMISSIONS, json={})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "4"
        assert await post_n(via_one, 1) == [429]
        assert await post_n(other, 1) == [200]
        clock.advance(3.5)
        early = await via_one.post(SUBMISSIONS, json={})
        assert (early.status_code, early.headers["retry-after"]) == (429, "1")
        clock.advance(0.5)
        assert await post_n(via_two, 2) == [200, 429]


async def test_redis_spends_the_last_token_once_under_concurrency(
    redis_backends: tuple[RedisBackend, RedisBackend],
) -> None:
    first, second = redis_backends
    decisions = await asyncio.gather(
        *(backend.take("POST x|198.51.100.1", 0.25, 5) for backend in [first, second] * 15)
    )
    assert sum(decision.allowed for decision in decisions) == 5


async def test_redis_buckets_expire(
    redis_url: str, redis_backends: tuple[RedisBackend, RedisBackend]
) -> None:
    first, _ = redis_backends
    await first.take("POST x|198.51.100.1", 0.25, 3)
    probe = Redis.from_url(redis_url)
    try:
        ttl_ms = await probe.pttl(f"{first.key_prefix}POST x|198.51.100.1")
    finally:
        await probe.aclose()
    # One token spent refills in 4 s; the key lives that long plus a second's margin.
    assert 4000 < ttl_ms <= 5000


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_redis_down_fails_open_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    backend: RateLimitBackend = RedisBackend(
        f"redis://127.0.0.1:{closed_port()}/0", clock=FakeClock(), timeout=0.5
    )
    middleware = RateLimit(ok_app, [rule(burst=1)], backend)
    try:
        with caplog.at_level(logging.WARNING, logger="ombuds_shared.ratelimit"):
            async with client(middleware) as http:
                assert await post_n(http, 5) == [200] * 5
    finally:
        await backend.aclose()
    warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    # Logged, but once, not once per request.
    assert len(warnings) == 1


async def test_redis_limits_again_once_it_is_back(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Down: requests pass. A forwarder to the real Redis opens on that port: limits resume."""
    target = urlsplit(redis_url)
    port = closed_port()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            target.hostname, target.port or 6379
        )

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    backend = RedisBackend(
        f"redis://127.0.0.1:{port}{target.path}",
        clock=FakeClock(),
        key_prefix=f"ombuds-test:{uuid.uuid4()}:",
        pause_after_failure=0.2,
    )
    key = "POST x|198.51.100.1"
    try:
        with caplog.at_level(logging.WARNING, logger="ombuds_shared.ratelimit"):
            assert [(await backend.take(key, 0.25, 1)).allowed for _ in range(3)] == [True] * 3
            server = await asyncio.start_server(forward, "127.0.0.1", port)
            async with server:
                await asyncio.sleep(0.3)
                assert (await backend.take(key, 0.25, 1)).allowed
                assert not (await backend.take(key, 0.25, 1)).allowed
                await backend.aclose()
    finally:
        await backend.aclose()
    messages = [r.getMessage() for r in caplog.records]
    assert any("reachable again; 3 requests were allowed unchecked" in m for m in messages)
