"""Signed staff assertions: a good one verifies; an expired, forged, tampered, misdirected or
over-long one is refused with the reason."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ombuds_shared.staff_assertions import (
    AssertionKeyError,
    InvalidAssertion,
    StaffAssertion,
    load_public_key,
    sign_assertion,
    verify_assertion,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def assertion(**changes: object) -> StaffAssertion:
    fields: dict[str, object] = {
        "username": "admin@agency.example.gov",
        "roles": ("administrator",),
        "permissions": frozenset({"directory.manage", "staff.read"}),
        "office": None,
        "audience": "referrals",
        "issued_at": NOW,
        "expires_at": NOW + timedelta(minutes=5),
        **changes,
    }
    return StaffAssertion(**fields)  # type: ignore[arg-type]


def test_a_signed_assertion_verifies_with_the_public_key() -> None:
    token = sign_assertion(KEY, assertion(office="field_operations"))
    found = verify_assertion(token, KEY.public_key(), "referrals", NOW + timedelta(minutes=4))
    assert found == assertion(office="field_operations")


def test_an_expired_assertion_is_refused() -> None:
    token = sign_assertion(KEY, assertion())
    with pytest.raises(InvalidAssertion, match="expired"):
        verify_assertion(token, KEY.public_key(), "referrals", NOW + timedelta(minutes=5))


def test_another_key_does_not_verify() -> None:
    token = sign_assertion(Ed25519PrivateKey.generate(), assertion())
    with pytest.raises(InvalidAssertion, match="signature"):
        verify_assertion(token, KEY.public_key(), "referrals", NOW)


def test_a_tampered_claim_breaks_the_signature() -> None:
    body, signature = sign_assertion(KEY, assertion(permissions=frozenset())).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["permissions"] = ["directory.manage"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidAssertion, match="signature"):
        verify_assertion(f"{forged}.{signature}", KEY.public_key(), "referrals", NOW)


def test_an_assertion_for_another_service_is_refused() -> None:
    token = sign_assertion(KEY, assertion(audience="notifications"))
    with pytest.raises(InvalidAssertion, match="'notifications', not 'referrals'"):
        verify_assertion(token, KEY.public_key(), "referrals", NOW)


def test_an_assertion_claiming_a_long_life_is_refused() -> None:
    token = sign_assertion(KEY, assertion(expires_at=NOW + timedelta(days=1)))
    with pytest.raises(InvalidAssertion, match="too long a lifetime"):
        verify_assertion(token, KEY.public_key(), "referrals", NOW)


@pytest.mark.parametrize("token", ["", "no-dot", ".", "abc.", ".abc", "!!!.???"])
def test_garbage_is_refused_not_crashed_on(token: str) -> None:
    with pytest.raises(InvalidAssertion):
        verify_assertion(token, KEY.public_key(), "referrals", NOW)


def test_a_key_that_is_not_32_bytes_is_named() -> None:
    with pytest.raises(AssertionKeyError, match="public key must be 32 bytes"):
        load_public_key(base64.b64encode(b"short").decode())
