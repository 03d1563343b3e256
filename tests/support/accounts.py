"""Helpers for account tests: fast argon2 settings, staff-entered cases, and the codes that
intake hands to notifications (read from its outbox, since emailing them is not intake's job)."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.models import OutboxRecord
from ombuds_shared.events import VERIFICATIONS_TOPIC, CloudEvent, VerificationCodeIssuedV1

EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"
STRONG_PASSWORD = "correct horse battery staple"
# argon2id at its cheapest: the tests hash hundreds of passwords on two shared cores.
FAST_HASHING: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 1024,
    "password_parallelism": 1,
}


def phone_entry(email: str = "caller@example.org") -> dict[str, Any]:
    """A complaint as staff enter it from a phone call, with `email` on file."""
    body: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    del body["privacy_act_acknowledged"], body["accuracy_certified"]
    body["contact"]["email"] = email
    body["channel"] = "phone"
    body["information_confirmed"] = True
    body["call"] = {"received_at": "2026-11-20T10:15:00-05:00", "caller_number": "619 555 0142"}
    return body


async def issued_codes(
    sessions: async_sessionmaker[AsyncSession], purpose: str, email: str
) -> list[VerificationCodeIssuedV1]:
    """Every code issued for `purpose` to `email`, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(OutboxRecord.topic == VERIFICATIONS_TOPIC)
            .order_by(OutboxRecord.id)
        )
        found = []
        for row in rows:
            body = VerificationCodeIssuedV1.model_validate(
                CloudEvent.model_validate(json.loads(row.payload)).data
            )
            if body.purpose == purpose and body.recipient_email == email:
                found.append(body)
    return found


async def latest_code(
    sessions: async_sessionmaker[AsyncSession], purpose: str, email: str
) -> VerificationCodeIssuedV1:
    codes = await issued_codes(sessions, purpose, email)
    assert codes, f"no {purpose} code was issued to {email}"
    return codes[-1]


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"
