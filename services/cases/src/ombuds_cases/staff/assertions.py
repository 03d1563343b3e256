"""Signed staff assertions for other services' staff APIs (the referrals admin API first).

A signed-in member gets a short-lived token naming their email, role, permissions and office;
the other service verifies it with the public key (`ombuds_shared.staff_assertions`).
"""

import base64
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ombuds_cases.staff.policy import PERMISSIONS, StaffActor, holds
from ombuds_shared.staff_assertions import StaffAssertion, load_private_key, sign_assertion

# Published on purpose, like the audit's development key: production refuses it.
DEVELOPMENT_ASSERTION_KEY = "0mMvalmczPC+dqDb8dysZ7ggclxlwvTGSSEIq2s7RNY="
REFERRALS_AUDIENCE = "referrals"


def assertion_for(
    actor: StaffActor, audience: str, now: datetime, lifetime: timedelta
) -> StaffAssertion:
    """What the token says about the actor: every permission their role holds, no more."""
    return StaffAssertion(
        username=actor.email,
        roles=(actor.role.value,),
        permissions=frozenset(p for p in PERMISSIONS if holds(actor, p)),
        office=actor.office.value if actor.office else None,
        audience=audience,
        issued_at=now,
        expires_at=now + lifetime,
    )


def issue(
    signing_key: str, actor: StaffActor, audience: str, now: datetime, lifetime: timedelta
) -> str:
    return sign_assertion(
        load_private_key(signing_key), assertion_for(actor, audience, now, lifetime)
    )


def new_key_pair() -> tuple[str, str]:
    """A fresh (private, public) key pair, each base64 of its 32 raw bytes."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()
