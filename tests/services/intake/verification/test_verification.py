"""One-time codes: issued with their email event, redeemed once, locked after five guesses."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import Base, OutboxRecord
from ombuds_intake.verification.models import VerificationCode
from ombuds_intake.verification.service import (
    MAX_ATTEMPTS,
    Recipient,
    Redemption,
    issue,
    redeem_code,
    redeem_link,
)
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.events import VERIFICATIONS_TOPIC, CloudEvent, VerificationCodeIssuedV1
from ombuds_shared.migrations import upgrade_to_head

pytestmark = pytest.mark.integration

SECRET = "test-verification-secret"
SUBJECT = "OMB-TEST0-00000-0"
RECIPIENT = Recipient(email="ana@example.org", name="Ana Ruiz", language="es")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def _issue(
    sessions: async_sessionmaker[AsyncSession], subject: str, ttl: timedelta = timedelta(minutes=30)
) -> VerificationCodeIssuedV1:
    async with UnitOfWork(sessions) as uow:
        verification = issue(
            uow.session,
            purpose="self_service",
            subject=subject,
            recipient=RECIPIENT,
            secret=SECRET,
            link_base="https://portal.example/",
            control_number=subject,
            ttl=ttl,
        )
        await uow.commit()
    async with sessions() as session:
        record = await session.scalar(
            select(OutboxRecord)
            .where(OutboxRecord.event_id.is_not(None))
            .order_by(OutboxRecord.id.desc())
        )
    assert record is not None
    assert record.topic == VERIFICATIONS_TOPIC
    event = CloudEvent.model_validate(json.loads(record.payload))
    body = VerificationCodeIssuedV1.model_validate(event.data)
    assert body.verification_id == verification.id
    return body


async def _redeem(
    sessions: async_sessionmaker[AsyncSession], subject: str, code: str
) -> Redemption:
    async with UnitOfWork(sessions) as uow:
        outcome = await redeem_code(
            uow.session, purpose="self_service", subject=subject, code=code, secret=SECRET
        )
        await uow.commit()
    return outcome


def _unique(name: str) -> str:
    return f"{SUBJECT}-{name}"


async def test_the_event_carries_the_code_and_the_database_only_its_hash(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = await _issue(sessions, _unique("hash"))
    assert re.fullmatch(r"\d{6}", body.code)
    assert body.recipient_email == RECIPIENT.email
    assert body.language == "es"
    assert body.link is not None
    assert body.link.startswith(f"https://portal.example/verify/{body.verification_id}?token=")
    async with sessions() as session:
        stored = await session.get(VerificationCode, body.verification_id)
    assert stored is not None
    assert body.code not in (stored.code_hash, stored.link_token_hash)
    assert len(stored.code_hash) == 64


async def test_the_right_code_works_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    subject = _unique("once")
    body = await _issue(sessions, subject)
    assert await _redeem(sessions, subject, f" {body.code[:3]} {body.code[3:]} ") is (
        Redemption.ACCEPTED
    )
    assert await _redeem(sessions, subject, body.code) is Redemption.UNAVAILABLE


async def test_a_code_for_another_subject_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = await _issue(sessions, _unique("mine"))
    await _issue(sessions, _unique("other"))
    assert await _redeem(sessions, _unique("other"), body.code) in (
        Redemption.WRONG,
        Redemption.ACCEPTED,  # only if the two random codes happen to be equal
    )
    assert await _redeem(sessions, _unique("never-issued"), body.code) is Redemption.UNAVAILABLE


async def test_five_wrong_guesses_lock_the_code(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    subject = _unique("lock")
    body = await _issue(sessions, subject)
    wrong = f"{(int(body.code) + 1) % 10**6:06d}"
    outcomes = [await _redeem(sessions, subject, wrong) for _ in range(MAX_ATTEMPTS)]
    assert outcomes == [Redemption.WRONG] * MAX_ATTEMPTS
    assert await _redeem(sessions, subject, body.code) is Redemption.LOCKED


async def test_an_expired_code_is_unavailable(sessions: async_sessionmaker[AsyncSession]) -> None:
    subject = _unique("expired")
    body = await _issue(sessions, subject, ttl=timedelta(seconds=-1))
    assert await _redeem(sessions, subject, body.code) is Redemption.UNAVAILABLE


async def test_the_link_works_once_and_only_with_its_token(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = await _issue(sessions, _unique("link"))
    assert body.link is not None
    token = body.link.split("token=", 1)[1]
    async with UnitOfWork(sessions) as uow:
        assert (
            await redeem_link(
                uow.session, verification_id=body.verification_id, token=token + "x", secret=SECRET
            )
            is None
        )
        verified = await redeem_link(
            uow.session, verification_id=body.verification_id, token=token, secret=SECRET
        )
        assert verified is not None
        assert verified.subject == _unique("link")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert (
            await redeem_link(
                uow.session, verification_id=body.verification_id, token=token, secret=SECRET
            )
            is None
        )


def _verification_diffs(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        diff
        for diff in compare_metadata(context, Base.metadata)
        if "verification_codes" in repr(diff)
    ]


async def test_the_migration_matches_the_model(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_verification_diffs) == []
    finally:
        await engine.dispose()
