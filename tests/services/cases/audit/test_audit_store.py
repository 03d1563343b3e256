"""The audit tables on real databases: the database refuses edits, concurrent appends keep one
chain, checkpoints are signed every N records and when the writer stops, and the migration
matches the models."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.chain import AuditEntry
from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.models import AuditCheckpoint, AuditRecord
from ombuds_cases.audit.signing import (
    DEVELOPMENT_SIGNING_KEY,
    load_private_key,
    public_key_text,
    trusted_keys,
)
from ombuds_cases.audit.store import CheckpointPolicy, append, whole_log
from ombuds_cases.audit.verify import verify_database
from ombuds_cases.audit.writer import AuditUnavailableError, AuditWriter
from ombuds_cases.migrate import MIGRATIONS
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from support.cases_schema import model_diff

SETTINGS = AuditSettings()


def entry(number: int, actor: str = "dev-staff") -> AuditEntry:
    return AuditEntry(
        actor=actor,
        actor_role="staff",
        action="read",
        record_type="case",
        record_id=f"CASE-{number}",
        outcome="success",
        fields=("narrative", "contact.email"),
        client_address="10.0.0.7",
    )


async def append_committed(
    sessions: async_sessionmaker[AsyncSession], entries: list[AuditEntry], every: int = 1000
) -> list[int]:
    async with UnitOfWork(sessions) as uow:
        sequences = await append(uow.session, entries, CheckpointPolicy(SETTINGS.signer(), every))
        await uow.commit()
    return sequences


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET actor = 'someone else' WHERE sequence = 1",
        "DELETE FROM audit_records WHERE sequence = 1",
        "UPDATE audit_checkpoints SET record_hash = 'x'",
        "DELETE FROM audit_checkpoints",
    ],
)
async def test_the_database_refuses_updates_and_deletes(
    cases_sessions: async_sessionmaker[AsyncSession], statement: str
) -> None:
    await append_committed(cases_sessions, [entry(1), entry(2)], every=2)

    async with cases_sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text(statement))
        await session.rollback()

    async with cases_sessions() as session:
        records, checkpoints = await whole_log(session)
    assert [(r.sequence, r.actor) for r in records] == [(1, "dev-staff"), (2, "dev-staff")]
    assert [c.sequence for c in checkpoints] == [2]


async def test_postgresql_refuses_truncate(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    if not fresh_cases_url.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE")
    await append_committed(cases_sessions, [entry(1)])
    async with cases_sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text("TRUNCATE audit_records CASCADE"))
        await session.rollback()
    async with cases_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditRecord)) == 1


async def test_concurrent_appends_keep_one_unbroken_chain(fresh_cases_url: str) -> None:
    """Several writers (as several service processes would have, each with its own engine)
    and direct in-transaction appends, all at once: one chain, no gaps, nothing lost."""
    writer_count = 3
    engines = [create_engine(fresh_cases_url) for _ in range(writer_count)]
    settings = AuditSettings(checkpoint_every=50)
    writers = [AuditWriter(create_session_factory(engine), settings) for engine in engines]
    loops = [asyncio.create_task(writer.run()) for writer in writers]
    await asyncio.sleep(0)
    try:
        per_writer = 120
        results = await asyncio.gather(
            *(
                writer.record(entry(i, actor=f"writer-{w}"))
                for w, writer in enumerate(writers)
                for i in range(per_writer)
            )
        )
        direct = await asyncio.gather(
            *(append_committed(create_session_factory(engines[0]), [entry(i)]) for i in range(20))
        )
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        for engine in engines:
            await engine.dispose()

    total = writer_count * per_writer + 20
    assigned = sorted([*results, *(s for sequences in direct for s in sequences)])
    assert assigned == list(range(1, total + 1))
    report = await verify_database(fresh_cases_url, settings)
    assert report.problems == []
    assert (report.records, report.last_sequence) == (total, total)
    # Every 50th record is signed, and each writer signed the head when it stopped.
    assert report.unsigned_tail == 0


async def test_checkpoints_every_n_records_and_at_the_head_when_the_writer_stops(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = AuditWriter(cases_sessions, AuditSettings(checkpoint_every=5))
    with pytest.raises(AuditUnavailableError):
        await writer.record(entry(0))
    loop = asyncio.create_task(writer.run())
    await asyncio.sleep(0)
    for i in range(12):
        assert await writer.record(entry(i)) == i + 1
    async with cases_sessions() as session:
        signed = list(await session.scalars(select(AuditCheckpoint.sequence)))
    assert sorted(signed) == [5, 10]

    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)

    async with cases_sessions() as session:
        records, checkpoints = await whole_log(session)
    assert [c.sequence for c in checkpoints] == [5, 10, 12]
    assert all(c.key_id == "development" for c in checkpoints)
    by_sequence = {r.sequence: r.hash for r in records}
    assert all(by_sequence[c.sequence] == c.record_hash for c in checkpoints)
    report = await verify_database(fresh_cases_url, AuditSettings())
    assert report.intact
    assert report.unsigned_tail == 0


async def test_the_writer_signs_the_head_when_idle_for_the_interval(
    cases_sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = AuditWriter(cases_sessions, AuditSettings(checkpoint_interval_seconds=0.2))
    loop = asyncio.create_task(writer.run())
    await asyncio.sleep(0)
    try:
        await writer.record(entry(1))
        await writer.record(entry(2))
        deadline = asyncio.get_running_loop().time() + 10
        signed: list[int] = []
        while asyncio.get_running_loop().time() < deadline:
            async with cases_sessions() as session:
                signed = list(await session.scalars(select(AuditCheckpoint.sequence)))
            if signed:
                break
            await asyncio.sleep(0.05)
        assert signed == [2]
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_verify_trusts_retired_keys_after_rotation(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await append_committed(cases_sessions, [entry(1), entry(2)], every=2)
    rotated = AuditSettings(signing_key="C" * 43 + "=", signing_key_id="2027")
    async with UnitOfWork(cases_sessions) as uow:
        await append(uow.session, [entry(3)], CheckpointPolicy(rotated.signer(), 1))
        await uow.commit()

    without_old = await verify_database(fresh_cases_url, rotated)
    assert [(p.sequence, p.kind) for p in without_old.problems] == [(2, "unknown key")]
    old_public = public_key_text(load_private_key(DEVELOPMENT_SIGNING_KEY))
    with_old = rotated.model_copy(update={"verify_keys": {"development": old_public}})
    assert (await verify_database(fresh_cases_url, with_old)).intact
    assert set(trusted_keys(with_old.signer(), with_old.verify_keys)) == {"development", "2027"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str, look: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def test_the_migration_matches_the_models_and_goes_down_and_up(fresh_cases_url: str) -> None:
    assert {"audit_records", "audit_checkpoints"} <= await _inspect(fresh_cases_url, _tables)
    assert await _inspect(fresh_cases_url, model_diff) == []

    await asyncio.to_thread(_migrate, "downgrade", "0002", fresh_cases_url)
    assert not {"audit_records", "audit_checkpoints"} & await _inspect(fresh_cases_url, _tables)

    await asyncio.to_thread(_migrate, "upgrade", "head", fresh_cases_url)
    assert await _inspect(fresh_cases_url, model_diff) == []
    engine = create_engine(fresh_cases_url)
    try:
        await append_committed(create_session_factory(engine), [entry(1)])
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text("DELETE FROM audit_records"))
    finally:
        await engine.dispose()


async def test_an_append_that_cannot_be_stored_fails_the_caller_and_the_writer_carries_on(
    tmp_path: Path,
) -> None:
    """No audit table (as with a database that is down): the access fails with 503 instead of
    going unrecorded, and the writer keeps serving once the database is back."""
    url = f"sqlite:///{tmp_path / 'unmigrated.db'}"
    engine = create_engine(url)
    writer = AuditWriter(create_session_factory(engine), AuditSettings())
    loop = asyncio.create_task(writer.run())
    await asyncio.sleep(0)
    try:
        with pytest.raises(AuditUnavailableError) as refused:
            await writer.record(entry(1))
        assert refused.value.status_code == 503

        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        assert await writer.record(entry(2)) == 1
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await engine.dispose()
