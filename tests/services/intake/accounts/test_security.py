"""Session cookies, the per-client failure window and who a request counts as: no I/O."""

from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.accounts.security import ClientFailures, SessionClaims, SessionCodec
from ombuds_intake.config import Settings
from support.accounts import FAST_HASHING


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_out_the_window_then_may_try_again() -> None:
    clock = FakeClock()
    failures = ClientFailures(max_failures=2, window_seconds=60, clock=clock)
    failures.record("198.51.100.7")
    assert not failures.locked("198.51.100.7")
    failures.record("198.51.100.7")
    assert failures.locked("198.51.100.7")
    assert not failures.locked("198.51.100.8")
    clock.now += 61
    assert not failures.locked("198.51.100.7")


def test_a_session_cookie_is_refused_when_forged_expired_or_signed_with_another_key() -> None:
    codec = SessionCodec("secret one", max_age_seconds=60)
    cookie = codec.dumps(SessionClaims("abc", 3))
    assert codec.loads(cookie) == SessionClaims("abc", 3)
    assert SessionCodec("secret two", 60).loads(cookie) is None
    assert codec.loads("not a cookie") is None
    assert SessionCodec("secret one", max_age_seconds=-1).loads(cookie) is None


def _scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 443), "headers": headers}


def test_the_lockout_counts_the_client_behind_a_trusted_proxy() -> None:
    policy = AccountPolicy.from_settings(Settings(trusted_proxies=["10.0.0.0/8"], **FAST_HASHING))
    assert policy.client_of(_scope("10.1.2.3", "203.0.113.9")) == "203.0.113.9"
    # An untrusted peer cannot choose who it counts as.
    assert policy.client_of(_scope("192.0.2.1", "203.0.113.9")) == "192.0.2.1"
    # One IPv6 client holds a whole /64.
    assert policy.client_of(_scope("2001:db8::1")) == policy.client_of(_scope("2001:db8::ffff"))
