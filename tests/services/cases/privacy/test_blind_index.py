"""The blind index: normalized, keyed digests that find a person by each identifier and never
hold a clear value; filled at opening, on amendment and by the backfill; its key setting."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.privacy import blind_index
from ombuds_cases.privacy.blind_index import Term
from ombuds_cases.privacy.config import (
    DEVELOPMENT_BLIND_INDEX_KEY,
    BlindIndexSettings,
    default_blind_key,
)
from ombuds_cases.privacy.indexer import backfill
from ombuds_cases.privacy.models import PersonIndexEntry

from ..conftest import OpenCase

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


def test_the_development_key_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    with pytest.raises(ValueError, match="CASES_BLIND_INDEX_KEY"):
        BlindIndexSettings()
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "dG9vIHNob3J0")
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndexSettings()
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "A" * 43 + "=")
    assert BlindIndexSettings().raw_key() != DEVELOPMENT_BLIND_INDEX_KEY.encode()
