"""`cases.archive_case` on SQLite and PostgreSQL: after the purge no table of the cases database
holds the person's data except the accounting of disclosures; another case is untouched; the
archive record keeps the figures; a retry purges nothing more and announces nothing twice."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ombuds_cases.activities import CaseActivities
from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.crypto.keys import DataKeyShreddedError, cipher_for
from ombuds_cases.models import Case, OutboxRecord
from ombuds_cases.retention.archive_record import CaseArchive
from ombuds_shared.db import create_engine
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASES_TOPIC,
    SUBMISSION_SUPPLEMENTED_V1,
    SubmissionSupplementedV1,
    make_event,
)
from ombuds_shared.retention_contracts import ArchiveCase, ArchiveResult

from ..conftest import OpenCase
from .seeding import QUENTIN, ZOFIA, scan, seed_case

SessionFactory = async_sessionmaker[AsyncSession]

# Privacy Act 552a(c): the accounting names the individual the record was about, and it must
# outlive the record. These three columns are all it keeps of the person: nature, purpose and
# recipient describe the disclosure, not the person.
ACCOUNTING_KEEPS = {
    ("disclosures", "subject_name"),
    ("disclosures", "subject_name_key"),
    ("disclosures", "subject_email"),
}


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_url)
    yield engine
    await engine.dispose()


async def archive(activities: CaseActivities, number: str) -> ArchiveResult:
    result: ArchiveResult = await ActivityEnvironment().run(
        activities.archive_case, ArchiveCase(control_number=number)
    )
    return result


async def sealed_passport(sessions: SessionFactory, number: str) -> str:
    async with sessions() as session:
        case = (await session.scalars(select(Case).where(Case.control_number == number))).one()
        token: str = case.details["identity"]["passport_number"]
        return token


async def audit_trail(sessions: SessionFactory, number: str) -> list[tuple[int, str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(AuditRecord.sequence, AuditRecord.action, AuditRecord.hash)
            .where(AuditRecord.record_id == number)
            .order_by(AuditRecord.sequence)
        )
        return [(sequence, action, digest) for sequence, action, digest in rows]


async def archive_events(sessions: SessionFactory, number: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord.topic).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == CASE_ARCHIVE_REQUESTED_V1,
            )
        )
        return list(rows.all())


async def test_the_purge_leaves_only_the_accounting_and_spares_other_cases(
    client: httpx.AsyncClient, session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    other = await seed_case(client, session_factory, QUENTIN)
    token = await sealed_passport(session_factory, number)
    before = {table for table, _ in await scan(engine, ZOFIA.needles())}
    # The scan sees the person everywhere the case put them (so its silence below means it).
    assert before >= {
        "cases",
        "case_notes",
        "supplements",
        "amendments",
        "source_pointers",
        "status_changes",
        "timeline_entries",
        "outbox",
        "pending_signals",
        "disclosures",
    }
    other_before = await scan(engine, QUENTIN.needles())
    assert {"cases", "case_notes", "supplements"} <= {table for table, _ in other_before}

    result = await archive(CaseActivities(session_factory), number)

    assert result.services == ["intake", "referrals", "notifications"]
    assert await scan(engine, ZOFIA.needles()) == ACCOUNTING_KEEPS
    assert await scan(engine, QUENTIN.needles()) == other_before
    async with session_factory() as session:
        cipher = await cipher_for(session, default_keyring(), number)
        assert cipher is not None
        assert cipher.data_key is None
        with pytest.raises(DataKeyShreddedError):
            cipher.unseal("identity.passport_number", token)
        spared = await cipher_for(session, default_keyring(), other)
        assert spared is not None
        assert spared.data_key is not None
    assert await archive_events(session_factory, number) == [CASES_TOPIC]


async def test_the_manifest_and_the_archive_record_keep_only_figures(
    client: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)

    result = await archive(CaseActivities(session_factory), number)

    assert result.manifest == {
        "case_data_keys": 1,
        "case_notes": 1,
        "supplements": 1,
        "amendments": 2,
        "source_pointers": 1,
        # Every event the case announced (opened, note, assignment, ... closed).
        "outbox": result.manifest["outbox"],
        "information_requests": 0,
        "case_referrals": 0,
        # status_changed for the assignment and the referral, then close_case.
        "pending_signals": 3,
        # One digest per identifier (name, email, phone, passport) plus the corrected values.
        "person_index": result.manifest["person_index"],
        # received, assigned, referred, closed.
        "status_changes": 4,
        "timeline_entries": result.manifest["timeline_entries"],
        "cases": 1,
    }
    assert result.manifest["outbox"] >= 10
    assert result.manifest["person_index"] >= 4
    assert result.manifest["timeline_entries"] >= 10
    async with session_factory() as session:
        record = (
            await session.scalars(select(CaseArchive).where(CaseArchive.control_number == number))
        ).one()
        case = (await session.scalars(select(Case).where(Case.control_number == number))).one()
    today = date.today()
    assert (record.kind, record.category, record.channel, record.office) == (
        "complaint",
        "trusted_traveler",
        "web",
        "border_patrol",
    )
    assert (record.final_status, record.disposition, record.days_to_close) == (
        "closed",
        "substantiated",
        0,
    )
    assert record.received_month == record.closed_month == date(today.year, today.month, 1)
    assert (
        record.note_count,
        record.referral_count,
        record.supplement_count,
        record.amendment_count,
        record.disclosure_count,
    ) == (1, 1, 1, 2, 1)
    assert record.manifest == result.manifest
    assert case.archived_at is not None
    assert case.status == "closed"


async def test_a_retry_returns_the_same_manifest_and_announces_nothing_twice(
    client: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    activities = CaseActivities(session_factory)

    first = await archive(activities, number)
    again = await archive(activities, number)

    assert again == first
    assert await archive_events(session_factory, number) == [CASES_TOPIC]
    async with session_factory() as session:
        records = (
            await session.scalars(select(CaseArchive).where(CaseArchive.control_number == number))
        ).all()
    assert len(records) == 1


async def test_an_archived_case_shows_as_such_and_refuses_every_change(
    client: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    await archive(CaseActivities(session_factory), number)

    shown = (await client.get(f"/api/v1/cases/{number}")).json()
    note = await client.post(
        f"/api/v1/cases/{number}/notes", json={"stage": "review", "text": "after the purge"}
    )
    reopen = await client.post(f"/api/v1/cases/{number}/reopen", json={"reason": "again"})

    assert shown["archived_at"] is not None
    assert shown["status"] == "closed"
    assert shown["narrative"] == ""
    assert shown["details"] == {}
    assert shown["contact"] == {"first_name": None, "last_name": None, "email": None}
    assert (shown["notes"], shown["supplements"], shown["amendments"]) == ([], [], [])
    assert shown["findings"] is None
    assert shown["source_pointers"] == []
    for refused in (note, reopen):
        assert refused.status_code == 409, refused.text
        assert "archived" in refused.text


async def test_the_audit_trail_and_the_accounting_outlive_the_purge(
    client: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    audited = await audit_trail(session_factory, number)
    accounted = (await client.get(f"/api/v1/cases/{number}/disclosures")).json()

    await archive(CaseActivities(session_factory), number)

    assert len(audited) >= 8
    assert (await audit_trail(session_factory, number))[: len(audited)] == audited
    assert (await client.get(f"/api/v1/cases/{number}/disclosures")).json() == accounted
    [row] = accounted
    assert row["recipient_name"] == "Federal Bureau of Investigation"


async def test_a_late_supplement_for_an_archived_case_brings_nothing_back(
    client: httpx.AsyncClient, session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    await archive(CaseActivities(session_factory), number)
    late = SubmissionSupplementedV1(
        control_number=number,
        supplement_id=uuid.uuid4().hex,
        text=f"{ZOFIA.supplement} once more",
        attachments=["att-late"],
        supplemented_at=datetime.now(UTC),
    )

    await SelfServiceHandler(session_factory, signals=None)(
        make_event("ombuds/intake", SUBMISSION_SUPPLEMENTED_V1, late, number)
    )

    assert await scan(engine, ZOFIA.needles()) == ACCOUNTING_KEEPS
    assert (await client.get(f"/api/v1/cases/{number}")).json()["supplements"] == []


async def test_an_open_case_is_never_purged(
    open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()

    with pytest.raises(ApplicationError) as refused:
        await archive(CaseActivities(session_factory), number)

    assert refused.value.non_retryable
    assert refused.value.type == "CaseNotClosedError"
    async with session_factory() as session:
        case = (await session.scalars(select(Case).where(Case.control_number == number))).one()
    assert case.narrative == "I waited six hours at the port."
    assert case.archived_at is None
