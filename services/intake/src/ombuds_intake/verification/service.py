"""Issue and redeem one-time codes and links.

A code is six digits, good for `ttl` and at most `MAX_ATTEMPTS` guesses; the emailed link
carries a long random token instead. Only keyed hashes are stored. Issuing stages a
`verification.code-issued` event in the caller's transaction; the notifications service emails
it. Redeeming never raises on a wrong code: the caller must commit the counted attempt first.
"""

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.models import OutboxRecord
from ombuds_intake.verification.models import VerificationCode
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    VERIFICATION_CODE_ISSUED_V1,
    VERIFICATIONS_TOPIC,
    VerificationCodeIssuedV1,
    make_event,
)
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/intake"
MAX_ATTEMPTS = 5
DEFAULT_TTL = timedelta(minutes=30)
Purpose = Literal["self_service", "verify_email", "attach_case"]


class Redemption(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    # Expired, already used, superseded or never issued: ask for a new code.
    UNAVAILABLE = "unavailable"
    LOCKED = "locked"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    language: str


def _keyed_hash(secret: str, verification_id: str, value: str) -> str:
    message = f"{verification_id}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue(
    session: AsyncSession,
    *,
    purpose: Purpose,
    subject: str,
    recipient: Recipient,
    secret: str,
    link_base: str | None,
    control_number: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> VerificationCode:
    """Stage a new code for `subject` and the event that emails it; earlier codes stay valid
    until they expire, so a slow email is not wasted by asking twice."""
    verification_id = uuid4().hex
    code = f"{secrets.randbelow(10**6):06d}"
    link_token = secrets.token_urlsafe(32)
    now = utcnow()
    verification = VerificationCode(
        id=verification_id,
        purpose=purpose,
        subject=subject,
        email=recipient.email,
        code_hash=_keyed_hash(secret, verification_id, code),
        link_token_hash=_keyed_hash(secret, verification_id, link_token),
        attempts=0,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(verification)
    link = (
        f"{link_base.rstrip('/')}/verify/{verification_id}?token={link_token}"
        if link_base
        else None
    )
    body = VerificationCodeIssuedV1(
        verification_id=verification_id,
        purpose=purpose,
        recipient_email=recipient.email,
        recipient_name=recipient.name,
        language=recipient.language,
        code=code,
        link=link,
        control_number=control_number,
        expires_at=verification.expires_at,
    )
    event = make_event(EVENT_SOURCE, VERIFICATION_CODE_ISSUED_V1, body, control_number or subject)
    add_to_outbox(session, OutboxRecord, VERIFICATIONS_TOPIC, event)
    return verification


def _usable(verification: VerificationCode, now: datetime) -> bool:
    return verification.used_at is None and verification.expires_at > now


async def redeem_code(
    session: AsyncSession, *, purpose: Purpose, subject: str, code: str, secret: str
) -> Redemption:
    """Check `code` against every live code for `subject`; each guess counts against all."""
    now = utcnow()
    live = [
        verification
        for verification in await session.scalars(
            select(VerificationCode).where(
                VerificationCode.purpose == purpose, VerificationCode.subject == subject
            )
        )
        if _usable(verification, now)
    ]
    if not live:
        return Redemption.UNAVAILABLE
    if all(verification.attempts >= MAX_ATTEMPTS for verification in live):
        return Redemption.LOCKED
    guess = code.strip().replace(" ", "")
    for verification in live:
        verification.attempts += 1
    for verification in live:
        if verification.attempts <= MAX_ATTEMPTS and hmac.compare_digest(
            verification.code_hash, _keyed_hash(secret, verification.id, guess)
        ):
            _use_all(live, now)
            return Redemption.ACCEPTED
    return Redemption.WRONG


async def redeem_link(
    session: AsyncSession, *, verification_id: str, token: str, secret: str
) -> VerificationCode | None:
    """The verification the emailed link proves, once; None when unknown, used or expired."""
    now = utcnow()
    verification = await session.get(VerificationCode, verification_id)
    if verification is None or not _usable(verification, now):
        return None
    if not hmac.compare_digest(
        verification.link_token_hash, _keyed_hash(secret, verification.id, token)
    ):
        return None
    verification.used_at = now
    return verification


def _use_all(live: list[VerificationCode], now: datetime) -> None:
    # Once one code worked, its siblings for the same subject must not work again.
    for verification in live:
        verification.used_at = now
