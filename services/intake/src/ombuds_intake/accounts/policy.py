"""What the account functions need from the settings, built once per app."""

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from starlette.types import Receive, Scope, Send

from ombuds_intake.accounts.security import ClientFailures, Passwords, SessionCodec
from ombuds_intake.config import Settings
from ombuds_shared.ratelimit import RateLimit, bucket_owner


@dataclass
class AccountPolicy:
    """What the account functions need from the settings, built once per app."""

    passwords: Passwords
    sessions: SessionCodec
    client_failures: ClientFailures
    secret: str
    link_base: str
    max_failures: int
    lockout: timedelta
    secure_cookies: bool
    # Resolves the client behind trusted proxies exactly as the rate limit does.
    addresses: RateLimit

    def client_of(self, scope: Scope) -> str:
        """Who a request counts as for the per-client lockout (an IPv6 client by its /64)."""
        return bucket_owner(self.addresses.client_address(scope))

    @classmethod
    def from_settings(cls, settings: Settings) -> "AccountPolicy":
        secret = settings.verification_secret.get_secret_value()
        hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        return cls(
            passwords=Passwords(hasher),
            sessions=SessionCodec(secret, settings.account_session_seconds),
            client_failures=ClientFailures(
                settings.sign_in_client_max_failures, settings.sign_in_lockout_seconds
            ),
            secret=secret,
            link_base=f"{settings.public_url.rstrip('/')}/account",
            max_failures=settings.sign_in_max_failures,
            lockout=timedelta(seconds=settings.sign_in_lockout_seconds),
            secure_cookies=settings.public_url.startswith("https://"),
            addresses=RateLimit(_never_called, rules=(), trusted_proxies=settings.trusted_proxies),
        )


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("only RateLimit.client_address is used here")
