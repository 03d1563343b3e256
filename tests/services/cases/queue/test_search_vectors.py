"""Revision 0010_queue_tsvector: one stored, GIN-indexed vector per case, kept current on write."""

import asyncio

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import service
from ombuds_cases.case.records import Note
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.models import SEARCH_VECTOR, Case
from ombuds_cases.queue.search import text_matches
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork

from ..conftest import submission

_INDEX = "ix_cases_search_vector"
_OLD_INDEXES = {"ix_cases_narrative_fts", "ix_case_notes_text_fts"}


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def _vector_columns(session: AsyncSession) -> set[tuple[str, str]]:
    rows = await session.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'tsvector' AND table_schema = 'public'"
        )
    )
    return {(str(table), str(column)) for table, column in rows.all()}


async def _index_definitions(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases', 'case_notes')"
        )
    )
    return {str(name): str(definition) for name, definition in rows.all()}


async def _search(session: AsyncSession, query: str) -> set[int]:
    found = await session.scalars(select(Case.id).where(text_matches(query, "postgresql")))
    return set(found.all())


async def _open(sessions: async_sessionmaker[AsyncSession], narrative: str) -> int:
    async with UnitOfWork(sessions) as uow:
        case = service.open_case(
            uow.session,
            submission(
                new_control_number(), incident={"narrative": narrative, "incident_date": None}
            ),
        )
        await uow.session.flush()
        await uow.commit()
        return case.id


async def _note(sessions: async_sessionmaker[AsyncSession], case_id: int, words: str) -> int:
    async with UnitOfWork(sessions) as uow:
        note = Note(case_id=case_id, stage="review", text=words, author="officer1")
        uow.session.add(note)
        await uow.session.flush()
        await uow.commit()
        return note.id


@pytest.fixture
def postgres_url(fresh_cases_url: str) -> str:
    if not fresh_cases_url.startswith("postgresql"):
        pytest.skip("the stored tsvector is PostgreSQL's; SQLite searches with LIKE")
    return fresh_cases_url


async def test_the_vector_follows_the_narrative_and_every_note_change(
    postgres_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    case_id = await _open(cases_sessions, "We waited at the kiosk for hours.")
    other = await _open(cases_sessions, "Nothing to see.")
    note_id = await _note(cases_sessions, case_id, "Refunds go to trade.")

    async with cases_sessions() as session:
        assert await _search(session, "waiting") == {case_id}
        assert await _search(session, "refund") == {case_id}
        # One vector per case: the words may come from the narrative and a note together.
        assert await _search(session, "kiosk refunds") == {case_id}

    async with UnitOfWork(cases_sessions) as uow:
        await uow.session.execute(update(Note).where(Note.id == note_id).values(case_id=other))
        await uow.session.execute(
            update(Case).where(Case.id == case_id).values(narrative="A lost passport.")
        )
        await uow.commit()
    async with cases_sessions() as session:
        assert await _search(session, "refund") == {other}
        assert await _search(session, "kiosk") == set()
        assert await _search(session, "passport") == {case_id}

    async with UnitOfWork(cases_sessions) as uow:
        await uow.session.execute(delete(Note).where(Note.id == note_id))
        await uow.commit()
    async with cases_sessions() as session:
        assert await _search(session, "refund") == set()


async def test_the_migration_goes_down_to_expression_indexes_and_up_with_a_backfill(
    postgres_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with cases_sessions() as session:
        assert await _vector_columns(session) == {("cases", SEARCH_VECTOR)}
        indexes = await _index_definitions(session)
        assert f"USING gin ({SEARCH_VECTOR})" in indexes[_INDEX]
        assert not _OLD_INDEXES & set(indexes)

    await asyncio.to_thread(_migrate, "downgrade", "0010_information_requests", postgres_url)
    async with cases_sessions() as session:
        assert await _vector_columns(session) == set()
        indexes = await _index_definitions(session)
        assert set(indexes) >= _OLD_INDEXES
        assert _INDEX not in indexes
    # Written while the triggers are gone: only the upgrade's backfill can index these.
    case_id = await _open(cases_sessions, "We waited at the kiosk for hours.")
    await _note(cases_sessions, case_id, "Refunds go to trade.")

    await asyncio.to_thread(_migrate, "upgrade", "head", postgres_url)
    async with cases_sessions() as session:
        assert await _search(session, "waited kiosk") == {case_id}
        assert await _search(session, "refunds trade") == {case_id}
        assert await _search(session, "kiosk smuggling") == set()


async def test_the_search_plan_uses_the_vector_index(
    postgres_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    query = select(Case.id).where(text_matches("passport", "postgresql"))
    async with cases_sessions() as session:
        # On a near-empty table a sequential scan is cheapest; forbid it to see the choice.
        await session.execute(text("SET enable_seqscan = off"))
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = "\n".join((await session.scalars(text(f"EXPLAIN {compiled}"))).all())
    assert _INDEX in plan
