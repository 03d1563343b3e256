"""Intake's retention purge on SQLite and PostgreSQL: a case seeded through intake's own
services in every table, purged by the `case.archive-requested` handler, and then nothing of
the person anywhere in the database or the attachment folder."""

import asyncio
import json
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ombuds_intake import service
from ombuds_intake.accounts import cases
from ombuds_intake.accounts import service as accounts
from ombuds_intake.accounts.models import Account, AccountCase
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.attachments.service import AttachmentLimits, store_upload
from ombuds_intake.attachments.storage import FilesystemStore
from ombuds_intake.config import Settings
from ombuds_intake.forms.paths import validate_submission
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import OutboxRecord, Submission
from ombuds_intake.retention import ATTACHMENT_FILES, RetentionPurger
from ombuds_intake.self_service import service as self_service
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_engine, create_session_factory, utcnow
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASE_STATUS_CHANGED_V1,
    STORE_CLEARED_V1,
    SUBMISSIONS_TOPIC,
    CaseArchiveRequestedV1,
    CaseStatusChangedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
from support.accounts import EXAMPLES, FAST_HASHING, STRONG_PASSWORD
from support.purge import files_under, tables, traces

pytestmark = pytest.mark.integration

LIMITS = AttachmentLimits(max_bytes=64 * 1024, max_count=5)
SECRET = "retention-test-secret"
# The account belongs to the person and outlives the case (it may hold others); it is the
# one table allowed to keep their name and email, so the scan leaves it to its own assertion.
ACCOUNT_TABLE = "accounts"


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str
    new_phone: str
    phrase: str
    passport: str
    ip: str

    @classmethod
    def fresh(cls, first_name: str, last_name: str) -> "Person":
        # Letters for names (a digit is no part of a name), digits for phones.
        tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        digits = f"{secrets.randbelow(10**8):08d}"
        return cls(
            first_name=f"{first_name}{tag}",
            last_name=f"{last_name}{tag}",
            email=f"{first_name.lower()}.{tag}@example.org",
            phone=f"619 555 {digits[:4]}",
            new_phone=f"858 555 {digits[4:]}",
            phrase=f"the officer tore up my visa papers {tag}",
            passport=f"P{tag.upper()}",
            ip=".".join(str(secrets.randbelow(156) + 100) for _ in range(4)),
        )

    @property
    def needles(self) -> list[str]:
        return [
            self.first_name,
            self.last_name,
            self.email,
            self.phone,
            self.new_phone,
            self.phrase,
            self.passport,
            self.ip,
        ]


@dataclass(frozen=True)
class Seeded:
    control_number: str
    account_id: str
    files: set[Path]


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FilesystemStore:
    return FilesystemStore(tmp_path_factory.mktemp("attachments"))


@pytest.fixture(scope="module")
def policy() -> AccountPolicy:
    return AccountPolicy.from_settings(Settings(**FAST_HASHING))


def complaint(person: Person, attachments: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    body["contact"].update(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
    )
    body["incident"]["narrative"] = f"At the checkpoint {person.phrase}, and kept me an hour."
    body["identity"]["passport_number"] = person.passport
    body["attachments"] = attachments
    return body


async def upload(
    sessions: async_sessionmaker[AsyncSession], store: FilesystemStore, name: str, person: Person
) -> str:
    async with sessions() as session:
        attachment = await store_upload(
            session, store, name, sample_files.pdf(person.phrase), person.ip, LIMITS
        )
        await session.commit()
    return attachment.id


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    store: FilesystemStore,
    policy: AccountPolicy,
    person: Person,
) -> Seeded:
    """A case in every intake table, made the way the portal and self-service make it."""
    before = files_under(store.root)
    # The person's account, under a name and address of its own (see ACCOUNT_TABLE).
    account = await accounts.register(
        sessions,
        policy,
        name="Account Holder",
        email=f"holder.{uuid4().hex[:8]}@example.net",
        password=STRONG_PASSWORD,
        language="en",
    )
    first = await upload(sessions, store, f"{person.last_name}-visa.pdf", person)
    submission, created = await service.accept_submission(
        sessions,
        validate_submission(complaint(person, [first])),
        f"portal-{uuid4()}",
        person.ip,
        LIMITS,
        account.id,
    )
    assert created
    control_number = submission.control_number
    assert await self_service.request_code(
        sessions, control_number, person.email, SECRET, "http://portal"
    )
    await cases.request_attach(sessions, policy, account, control_number)
    second = await upload(sessions, store, f"{person.first_name}-receipt.pdf", person)
    await self_service.supplement(
        sessions, control_number, f"{person.first_name} adds: {person.phrase}", [second], LIMITS
    )
    await self_service.correct(
        sessions, control_number, "contact.phone", person.new_phone, f"{person.first_name} moved"
    )
    await self_service.withdraw(sessions, control_number, f"{person.last_name} gave up")
    closed = CaseStatusChangedV1(
        control_number=control_number,
        from_status="triage",
        to_status="withdrawn",
        reason=f"Withdrawn by {person.first_name} {person.last_name}",
        changed_at=utcnow(),
    )
    await service.apply_case_event(
        sessions, make_event("ombuds/cases", CASE_STATUS_CHANGED_V1, closed, control_number)
    )
    return Seeded(control_number, account.id, files_under(store.root) - before)


def archive_request(control_number: str) -> CloudEvent:
    body = CaseArchiveRequestedV1(control_number=control_number, requested_at=utcnow())
    return make_event("ombuds/cases", CASE_ARCHIVE_REQUESTED_V1, body, control_number)


async def store_cleared(
    sessions: async_sessionmaker[AsyncSession], control_number: str
) -> list[StoreClearedV1]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(
                OutboxRecord.message_key == control_number,
                OutboxRecord.event_type == STORE_CLEARED_V1,
            )
            .order_by(OutboxRecord.id)
        )
        found = []
        for row in rows:
            assert row.topic == SUBMISSIONS_TOPIC
            event = CloudEvent.model_validate_json(row.payload)
            assert event.subject == control_number
            found.append(StoreClearedV1.model_validate(event.data))
    return found


async def test_purge_leaves_nothing_of_the_person_and_answers_once(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    store: FilesystemStore,
    policy: AccountPolicy,
) -> None:
    person = Person.fresh("Marisol", "Quintero")
    bystander = Person.fresh("Tomasz", "Wieczorek")
    purged = await seed(sessions, store, policy, person)
    kept = await seed(sessions, store, policy, bystander)
    assert len(purged.files) == 2
    assert len(kept.files) == 2
    # The scan finds the person everywhere intake keeps them before the purge, so its silence
    # afterwards means something.
    before = await traces(engine, person.needles, [ACCOUNT_TABLE])
    assert {needle for _table, _column, needle in before} == set(person.needles)
    assert tables(before) >= {
        "submissions",
        "amendments",
        "supplements",
        "withdrawals",
        "attachments",
        "verification_codes",
        "outbox",
    }
    bystander_before = await traces(engine, bystander.needles, [ACCOUNT_TABLE])

    purger = RetentionPurger(sessions, store)
    request = archive_request(purged.control_number)
    await purger.handle(request)
    await purger.handle(request)  # redelivered: the inbox drops it

    assert await traces(engine, person.needles, [ACCOUNT_TABLE]) == set()
    assert not any(path.exists() for path in purged.files)
    assert all(path.exists() for path in kept.files)
    assert await traces(engine, bystander.needles, [ACCOUNT_TABLE]) == bystander_before
    [cleared] = await store_cleared(sessions, purged.control_number)
    assert cleared.service == "intake"
    assert cleared.manifest == {
        "submissions": 1,
        "amendments": 1,
        "supplements": 1,
        "withdrawals": 1,
        "attachments": 2,
        ATTACHMENT_FILES: 2,
        "verification_codes": 2,
        "account_cases": 1,
        # received, supplemented, corrected, withdrawn, and the two codes' emails.
        "outbox": 6,
    }
    async with sessions() as session:
        stub = await session.scalar(
            select(Submission).where(Submission.control_number == purged.control_number)
        )
        account = await session.get(Account, purged.account_id)
        links = await session.scalar(
            select(func.count())
            .select_from(AccountCase)
            .where(AccountCase.account_id.in_([purged.account_id, kept.account_id]))
        )
    assert stub is not None
    assert (stub.kind, stub.category, stub.channel, stub.status) == (
        "complaint",
        "border_patrol",
        "web",
        "withdrawn",
    )
    assert stub.original == {}
    assert stub.contact_email is None
    assert stub.resolution is None
    assert account is not None  # unlinked, not deleted: it is the person's own
    assert links == 1  # only the bystander's link is left


async def test_a_new_request_for_a_purged_case_removes_nothing_more(
    sessions: async_sessionmaker[AsyncSession], store: FilesystemStore, policy: AccountPolicy
) -> None:
    seeded = await seed(sessions, store, policy, Person.fresh("Ines", "Barrios"))
    purger = RetentionPurger(sessions, store)
    await purger.handle(archive_request(seeded.control_number))
    await purger.handle(archive_request(seeded.control_number))
    first, second = await store_cleared(sessions, seeded.control_number)
    assert first.manifest["outbox"] == 6
    assert set(second.manifest.values()) == {0}


async def test_an_unknown_case_is_answered_with_a_zero_manifest(
    sessions: async_sessionmaker[AsyncSession], store: FilesystemStore
) -> None:
    control_number = new_control_number()
    await RetentionPurger(sessions, store).handle(archive_request(control_number))
    [cleared] = await store_cleared(sessions, control_number)
    assert cleared.control_number == control_number
    assert cleared.manifest["submissions"] == 0
    assert set(cleared.manifest.values()) == {0}
