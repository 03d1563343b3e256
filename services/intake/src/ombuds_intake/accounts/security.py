"""Password hashing, the signed session cookie's contents, and per-client sign-in lockout."""

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

Clock = Callable[[], float]
SESSION_SALT = "ombuds-account-session-v1"
# Any value that is not a real password: verifying against it for an unknown email takes as
# long as for a real account, so timing does not tell which emails have accounts.
_DUMMY_PASSWORD = "no account has this password, it only spends the same time"


class Passwords:
    """argon2id in a worker thread, so hashing never blocks the event loop."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    async def spend_time(self, password: str) -> None:
        """Do the work of one verification for an email that has no account."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(_DUMMY_PASSWORD)
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True)
class SessionClaims:
    account_id: str
    version: int


class SessionCodec:
    """The session cookie: account id and session version, signed and dated (itsdangerous)."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        # Its own key, derived from the verification secret, so a code hash can never be
        # mistaken for a session signature or the reverse.
        key = hashlib.sha256(f"account-session\n{secret}".encode()).hexdigest()
        self._serializer = URLSafeTimedSerializer(key, salt=SESSION_SALT)
        self.max_age_seconds = max_age_seconds

    def dumps(self, claims: SessionClaims) -> str:
        return self._serializer.dumps({"a": claims.account_id, "v": claims.version})

    def loads(self, cookie: str) -> SessionClaims | None:
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_seconds)
        except BadSignature:  # also covers SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        account_id, version = data.get("a"), data.get("v")
        if not isinstance(account_id, str) or not isinstance(version, int):
            return None
        return SessionClaims(account_id, version)


class ClientFailures:
    """Wrong passwords per client address within a window; past the limit, the client waits.

    Kept in this process: with several intake processes each counts on its own, which still
    bounds guessing to (processes x limit) per window.
    """

    MAX_CLIENTS = 100_000

    def __init__(self, max_failures: int, window_seconds: float, clock: Clock = time.monotonic):
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client, deque())
        cutoff = self.clock() - self.window_seconds
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def locked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.max_failures

    def record(self, client: str) -> None:
        if len(self._failures) >= self.MAX_CLIENTS and client not in self._failures:
            # Forget the quietest clients first rather than grow without bound.
            for stale in [key for key, times in self._failures.items() if not times][:1000]:
                del self._failures[stale]
            if len(self._failures) >= self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
        failures = self._recent(client)
        failures.append(self.clock())
        self._failures[client] = failures
