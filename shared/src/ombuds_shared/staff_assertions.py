"""Signed staff assertions: who a signed-in staff member is, for another service to trust.

The cases service (which owns staff accounts and roles) signs one with its Ed25519 key for a
few minutes; another service verifies it with the public key alone and reads the permissions
from it, so no service reads another's tables. The format is small on purpose:
`base64url(JSON claims) "." base64url(signature over the first part)`.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The public half of the cases service's development assertion key (published on purpose:
# the development key signs development sessions only, and production refuses both halves).
DEVELOPMENT_PUBLIC_KEY = "4+zVA6koCMooJNcLi3QvAGBIoMfa2iqDoJqIwFT/xfA="
# No assertion is trusted for longer than this, whatever it claims.
MAX_LIFETIME = timedelta(minutes=15)


class InvalidAssertion(ValueError):
    """The token is not a valid, current assertion for this audience (answer 401)."""


class AssertionKeyError(ValueError):
    """A key in settings that is not base64 of 32 bytes."""


@dataclass(frozen=True)
class StaffAssertion:
    username: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    office: str | None
    audience: str
    issued_at: datetime
    expires_at: datetime


def _raw_key(encoded: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise AssertionKeyError(f"{what} is not valid base64") from error
    if len(raw) != 32:
        raise AssertionKeyError(f"{what} must be 32 bytes (base64), not {len(raw)}")
    return raw


def load_private_key(encoded: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw_key(encoded, "the assertion signing key"))


def load_public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw_key(encoded, "the assertion public key"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_assertion(key: Ed25519PrivateKey, assertion: StaffAssertion) -> str:
    claims = {
        "sub": assertion.username,
        "roles": list(assertion.roles),
        "permissions": sorted(assertion.permissions),
        "office": assertion.office,
        "aud": assertion.audience,
        "iat": int(assertion.issued_at.timestamp()),
        "exp": int(assertion.expires_at.timestamp()),
    }
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(key.sign(body.encode()))}"


def verify_assertion(
    token: str, key: Ed25519PublicKey, audience: str, now: datetime
) -> StaffAssertion:
    """The assertion if the signature, audience and lifetime hold; else `InvalidAssertion`."""
    body, dot, signature = token.partition(".")
    if not dot or not body or not signature:
        raise InvalidAssertion("not a staff assertion")
    try:
        key.verify(_unb64(signature), body.encode())
        claims = json.loads(_unb64(body))
    except (InvalidSignature, binascii.Error, ValueError) as error:
        raise InvalidAssertion("the staff assertion's signature does not verify") from error
    try:
        found = StaffAssertion(
            username=str(claims["sub"]),
            roles=tuple(str(role) for role in claims["roles"]),
            permissions=frozenset(str(p) for p in claims["permissions"]),
            office=None if claims["office"] is None else str(claims["office"]),
            audience=str(claims["aud"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidAssertion("the staff assertion lacks a claim") from error
    if found.audience != audience:
        raise InvalidAssertion(f"the staff assertion is for {found.audience!r}, not {audience!r}")
    if found.expires_at <= now:
        raise InvalidAssertion("the staff assertion has expired: ask the cases service again")
    if found.expires_at - found.issued_at > MAX_LIFETIME or found.issued_at > now + MAX_LIFETIME:
        raise InvalidAssertion("the staff assertion claims too long a lifetime")
    return found
