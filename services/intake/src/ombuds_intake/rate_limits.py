"""How often one client may post to intake: submissions, attachments and the portal's forms,
each on its own."""

from fastapi import FastAPI

from ombuds_intake.config import Settings
from ombuds_shared.ratelimit import (
    MemoryBackend,
    RateLimit,
    RateLimitBackend,
    RateLimitRule,
    RedisBackend,
    parse_networks,
)

LIMITED = (
    ("POST", "/api/v1/submissions"),
    ("POST", "/api/v1/attachments"),
    # The portal's pages post here.
    ("POST", "/submit/form"),
    ("POST", "/status"),
    # Account forms: each one that sends an email or checks a secret.
    ("POST", "/account/register"),
    ("POST", "/account/sign-in"),
    ("POST", "/account/verify"),
    ("POST", "/account/attach"),
    # Self-service pages; the API's verification and actions fall under /api/v1/submissions.
    ("POST", "/manage"),
)


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """Limit each client's posts (429 with Retry-After); with Redis, across every process."""
    backend: RateLimitBackend = (
        RedisBackend(settings.redis_url, key_prefix="ombuds:intake:ratelimit:")
        if settings.rate_limit_backend == "redis"
        else MemoryBackend()
    )
    rules = [
        RateLimitRule(method, path, settings.rate_limit_per_minute, settings.rate_limit_burst)
        for method, path in LIMITED
    ]
    # A mistyped proxy address fails here, at start, not on the first request.
    parse_networks(settings.trusted_proxies)
    app.add_middleware(
        RateLimit, rules=rules, backend=backend, trusted_proxies=settings.trusted_proxies
    )
    app.state.rate_limit_backend = backend
