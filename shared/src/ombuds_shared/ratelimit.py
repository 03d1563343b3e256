"""Per-client rate limits as pure ASGI middleware: one token bucket per (rule, client address).

A rule names a method and a path prefix (`POST /api/v1/submissions`); each client address gets
`burst` requests at once and then `per_minute` a minute. Buckets live in process memory (the
default) or in Redis, so that several processes of one service share them.
"""

import ipaddress
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RateLimitRule:
    """Requests with this method under this path prefix share one bucket per client."""

    method: str
    path_prefix: str
    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.burst < 1:
            raise ValueError("a rate limit needs per_minute >= 1 and burst >= 1")

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path_prefix}"

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.per_minute / 60

    def matches(self, method: str, path: str) -> bool:
        if method.upper() != self.method.upper():
            return False
        prefix = self.path_prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    """Seconds until this client's next request under the rule would be allowed."""


class RateLimitBackend(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> Decision:
        """Take one token from the bucket `key` (refilled at `rate`/s up to `burst`)."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    updated: float
    full_at: float


class MemoryBackend:
    """Buckets in this process; idle buckets are dropped, and never more than `max_buckets`."""

    def __init__(self, clock: Clock = time.monotonic, max_buckets: int = 100_000) -> None:
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            tokens = float(burst)
        else:
            tokens = min(float(burst), bucket.tokens + max(0.0, now - bucket.updated) * rate)
        if tokens >= 1:
            tokens -= 1
            decision = Decision(allowed=True)
        else:
            decision = Decision(allowed=False, retry_after=(1 - tokens) / rate)
        self._buckets[key] = _Bucket(tokens, now, now + (burst - tokens) / rate)
        self._evict(now)
        return decision

    def _evict(self, now: float) -> None:
        # Least recently used first. A bucket that has refilled is the same as no bucket, so
        # dropping it changes nothing; past `max_buckets` the oldest go anyway (that client
        # starts again with a full bucket, which is the cheap way to stay bounded).
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if oldest.full_at > now and len(self._buckets) <= self.max_buckets:
                break
            self._buckets.popitem(last=False)

    async def aclose(self) -> None:
        self._buckets.clear()


# One round trip, atomic: several processes taking from one bucket cannot both spend its last
# token. The caller's clock is used (not Redis TIME) so tests can drive it; a clock that
# runs behind the stored one never refills backwards.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * rate)
  updated = now
end
local allowed = 0
local retry_after = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_after = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(retry_after)}
"""


class RedisBackend:
    """Buckets in Redis, shared by every process that uses the same URL and key prefix.

    If Redis cannot be reached the request is allowed (fail open) and the outage is logged:
    a broken limiter must not take the public intake down with it. After a failure Redis is
    left alone for `pause_after_failure` seconds so a dead host does not add its timeout to
    every request.
    """

    def __init__(
        self,
        url: str,
        clock: Clock = time.time,
        key_prefix: str = "ombuds:ratelimit:",
        timeout: float = 0.5,
        pause_after_failure: float = 5.0,
    ) -> None:
        self.clock = clock
        self.key_prefix = key_prefix
        self.pause_after_failure = pause_after_failure
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # redis-py retries with backoff by default; a rate check must be quick, and taking a
            # token is not idempotent: a retry after a reply lost to the timeout takes two.
            retry=Retry(NoBackoff(), 0),
        )
        self._script = self._redis.register_script(_TAKE_SCRIPT)
        self._down = False
        self._paused_until = 0.0
        self._last_logged = -math.inf
        self._unchecked = 0

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        if time.monotonic() < self._paused_until:
            self._unchecked += 1
            return Decision(allowed=True)
        try:
            allowed, retry_after = await self._script(
                keys=[self.key_prefix + key], args=[rate, burst, repr(self.clock())]
            )
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return Decision(allowed=True)
        if self._down:
            log.warning(
                "rate limiter: Redis is reachable again; %d requests were allowed unchecked",
                self._unchecked,
            )
            self._down, self._unchecked = False, 0
        return Decision(allowed=bool(allowed), retry_after=float(retry_after))

    def _failed(self, error: Exception) -> None:
        now = time.monotonic()
        self._unchecked += 1
        self._paused_until = now + self.pause_after_failure
        # Once when the outage starts, then once a minute, not once per request.
        if not self._down or now - self._last_logged >= 60:
            log.warning(
                "rate limiter: Redis is unreachable (%r); allowing requests unchecked (%d so far)",
                error,
                self._unchecked,
            )
            self._last_logged = now
        self._down = True

    async def aclose(self) -> None:
        await self._redis.aclose()


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`10.0.0.7`, `10.0.0.0/8`); `ValueError` on anything else."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def bucket_owner(address: str) -> str:
    """The client an address counts as: an IPv6 host usually holds a whole /64, so one
    bucket per /64, or a client could take a fresh address for every request."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


class RateLimit:
    """ASGI middleware: over a rule's limit, 429 with `Retry-After`; everything else passes.

    The client is the connection's peer address. `X-Forwarded-For` counts only when that peer
    is one of `trusted_proxies` (addresses or networks); then the client is the nearest address
    in the header that is not itself a trusted proxy. An IPv6 client counts by its /64. Clients
    in `exempt` are never limited.
    """

    def __init__(
        self,
        app: ASGIApp,
        rules: Sequence[RateLimitRule],
        backend: RateLimitBackend | None = None,
        trusted_proxies: Iterable[str] = (),
        exempt: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.rules = tuple(rules)
        self.backend: RateLimitBackend = MemoryBackend() if backend is None else backend
        self.trusted_proxies = parse_networks(trusted_proxies)
        self.exempt = parse_networks(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            try:
                await self.app(scope, receive, send)
            finally:
                await self.backend.aclose()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = next((r for r in self.rules if r.matches(scope["method"], scope["path"])), None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        client = self.client_address(scope)
        if _in(client, self.exempt):
            await self.app(scope, receive, send)
            return
        decision = await self.backend.take(
            f"{rule.name}|{bucket_owner(client)}", rule.rate, rule.burst
        )
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        await _too_many(send, max(1, math.ceil(decision.retry_after)))

    def client_address(self, scope: Scope) -> str:
        peer = scope.get("client")
        # No peer address (a Unix socket without proxy headers): all such requests share one
        # bucket rather than escaping the limit.
        address = str(peer[0]) if peer else "unknown"
        if not self.trusted_proxies or not _in(address, self.trusted_proxies):
            return address
        forwarded = [
            hop.strip()
            for name, value in scope.get("headers") or []
            if name == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")
            if hop.strip()
        ]
        # Right to left: each trusted proxy appended the address it saw; the first address
        # that is not one of ours is the client (anything further left, it may have invented).
        for hop in reversed(forwarded):
            address = hop
            if not _in(hop, self.trusted_proxies):
                break
        return address


async def _too_many(send: Send, retry_after: int) -> None:
    unit = "second" if retry_after == 1 else "seconds"
    body = json.dumps(
        {
            "detail": "Too many requests from your address. "
            f"Please wait {retry_after} {unit} and try again.",
            "code": "rate_limited",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
