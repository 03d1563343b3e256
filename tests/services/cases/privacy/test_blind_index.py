"""The blind index: normalized, keyed digests that find a person by each identifier and never
hold a clear value; filled at opening, on amendment and by the backfill; its key setting."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import service
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.privacy import blind_index
from ombuds_cases.privacy.blind_index import Term
from ombuds_cases.privacy.config import (
    DEVELOPMENT_BLIND_INDEX_KEY,
    BlindIndexSettings,
    default_blind_key,
)
from ombuds_cases.privacy.indexer import backfill, backfill_if_empty
from ombuds_cases.privacy.models import PersonIndexEntry
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import SUBMISSION_CORRECTED_V1, SubmissionCorrectedV1, make_event

from ..conftest import OpenCase, submission

Sessions = async_sessionmaker[AsyncSession]
KEY = b"k" * 32


def test_values_are_normalized_before_they_are_digested() -> None:
    same: list[tuple[Term, str, str]] = [
        ("email", "Ana.Perez@Example.ORG ", "ana.perez@example.org"),
        ("name", "  ANA   Pérez", "ana pérez"),
        ("phone", "+1 (619) 555-0100", "16195550100"),
        ("identity", "x-1234 5678", "X12345678"),
    ]
    for term, given, stored in same:
        assert blind_index.digest(KEY, term, given) == blind_index.digest(KEY, term, stored)
    # Bound to its term and its key, and nothing fuzzier than normalization.
    assert blind_index.digest(KEY, "email", "a@b.c") != blind_index.digest(KEY, "name", "a@b.c")
    assert blind_index.digest(KEY, "name", "Ana") != blind_index.digest(b"j" * 32, "name", "Ana")
    assert blind_index.digest(KEY, "name", "Lucía") != blind_index.digest(KEY, "name", "Lucia")
    assert blind_index.digest(KEY, "phone", "no digits") is None


async def _rows(sessions: Sessions, number: str) -> list[PersonIndexEntry]:
    async with sessions() as session:
        found = await session.scalars(
            select(PersonIndexEntry).where(PersonIndexEntry.control_number == number)
        )
        return list(found.all())


async def test_opening_a_case_indexes_each_identifier_and_no_clear_text(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case(
        contact={
            "first_name": "Zoë",
            "last_name": "Okafor",
            "email": "zoe.okafor@example.org",
            "phone": "+44 20 7946 0958",
        },
        identity={"passport_number": "P<987654321", "date_of_birth": "1990-01-02"},
    )
    rows = await _rows(session_factory, number)
    assert sorted(row.term for row in rows) == ["email", "identity", "name", "phone"]
    key = default_blind_key()
    async with session_factory() as session:
        identifiers: list[tuple[Term, str]] = [
            ("name", "ZOË OKAFOR"),
            ("email", "Zoe.Okafor@example.org"),
            ("phone", "442079460958"),
            ("identity", "p<987654321"),
        ]
        for term, value in identifiers:
            assert await blind_index.search(session, key, term, value) == [number], term
        assert await blind_index.search(session, key, "name", "Zoe Okafor") == []
        # Scan every stored column of the whole table: no clear value, however spelled.
        everything = " ".join(
            f"{r.control_number} {r.term} {r.digest}"
            for r in (await session.scalars(select(PersonIndexEntry))).all()
        ).casefold()
    for clear in ("zoë", "okafor", "example.org", "7946", "0958", "987654321", "1990"):
        assert clear not in everything


async def test_the_backfill_rebuilds_the_index_of_every_case(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case(identity={"passport_number": "B7654321"})
    before = sorted((r.term, r.digest) for r in await _rows(session_factory, number))
    async with session_factory() as session:
        await session.execute(
            delete(PersonIndexEntry).where(PersonIndexEntry.control_number == number)
        )
        await session.commit()
    assert await _rows(session_factory, number) == []
    key = default_blind_key()
    assert await backfill(session_factory, key, default_keyring(), batch=2) >= 1
    assert await backfill(session_factory, key, default_keyring(), batch=2) >= 1  # again: same
    after = sorted((r.term, r.digest) for r in await _rows(session_factory, number))
    assert after == before
    assert ("identity", blind_index.digest(key, "identity", "B7654321")) in after
    # What the purge of the case does: nothing is left to find the person by.
    async with UnitOfWork(session_factory) as uow:
        await blind_index.forget(uow.session, number)
        await uow.commit()
    assert await _rows(session_factory, number) == []


async def test_a_self_service_correction_is_indexed_and_the_old_value_still_finds_the_case(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case(identity={"passport_number": "C1111111"})
    handler = SelfServiceHandler(session_factory, signals=None)
    now = datetime.now(UTC)
    for field, old, new in [
        ("contact.email", "ana@example.org", "ana.new@example.org"),
        ("identity.passport_number", "C1111111", "D2222222"),
    ]:
        body = SubmissionCorrectedV1(
            control_number=number,
            amendment_id=uuid.uuid4().hex,
            field=field,
            previous_value=old,
            new_value=new,
            reason="changed",
            corrected_at=now,
        )
        await handler(make_event("ombuds/intake", SUBMISSION_CORRECTED_V1, body, number))
    key = default_blind_key()
    async with session_factory() as session:
        for term, value in [
            ("email", "ana.new@example.org"),
            ("identity", "D2222222"),
            ("identity", "C1111111"),
        ]:
            assert number in await blind_index.search(session, key, term, value), value  # type: ignore[arg-type]
    # The backfill rebuilds the same rows, the replaced values (kept sealed) included.
    before = sorted((r.term, r.digest) for r in await _rows(session_factory, number))
    await backfill(session_factory, key, default_keyring())
    assert sorted((r.term, r.digest) for r in await _rows(session_factory, number)) == before


def test_the_development_key_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    with pytest.raises(ValueError, match="CASES_BLIND_INDEX_KEY"):
        BlindIndexSettings()
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "dG9vIHNob3J0")
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndexSettings()
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "A" * 43 + "=")
    assert BlindIndexSettings().raw_key() != DEVELOPMENT_BLIND_INDEX_KEY.encode()


async def test_start_up_indexes_a_database_that_has_cases_but_no_index(
    cases_sessions: Sessions,
) -> None:
    key, keyring = default_blind_key(), default_keyring()
    assert await backfill_if_empty(cases_sessions, key, keyring) == 0  # no cases at all
    number = new_control_number()
    async with UnitOfWork(cases_sessions) as uow:
        service.open_case(uow.session, submission(number))
        await uow.commit()
    assert await backfill_if_empty(cases_sessions, key, keyring) == 0  # already indexed
    async with UnitOfWork(cases_sessions) as uow:
        await uow.session.execute(delete(PersonIndexEntry))
        await uow.commit()
    assert await backfill_if_empty(cases_sessions, key, keyring) == 1
    async with cases_sessions() as session:
        assert await blind_index.search(session, key, "email", "ana@example.org") == [number]
