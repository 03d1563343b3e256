"""`python -m ombuds_cases.audit verify` against a real database: passes on the untouched log,
then fails, naming the row, after someone with database access alters it by hand."""

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.chain import AuditEntry
from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.store import CheckpointPolicy, append
from ombuds_shared.db import UnitOfWork

DROP_TRIGGERS = {
    "postgresql": ["DROP TRIGGER audit_records_append_only ON audit_records"],
    "sqlite": ["DROP TRIGGER audit_records_no_update", "DROP TRIGGER audit_records_no_delete"],
}


async def run_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASES_DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ombuds_cases.audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def fill_log(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    entries = [
        AuditEntry("dev-staff", "staff", "read", "case", f"CASE-{i}", "success", ("narrative",))
        for i in range(1, count + 1)
    ]
    async with UnitOfWork(sessions) as uow:
        policy = CheckpointPolicy(AuditSettings().signer(), every=4)
        await append(uow.session, entries, policy, checkpoint_head=True)
        await uow.commit()


async def tamper(sessions: async_sessionmaker[AsyncSession], *statements: str) -> None:
    """What an attacker with database access does: drop the guard, then change the rows."""
    async with sessions() as session:
        dialect = session.get_bind().dialect.name
        for statement in [*DROP_TRIGGERS[dialect], *statements]:
            await session.execute(text(statement))
        await session.commit()


async def test_verify_passes_then_names_the_row_edited_by_hand(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await fill_log(cases_sessions, 10)

    intact = await run_verify(fresh_cases_url)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "audit trail intact: 10 records (last sequence 10), 3 checkpoints" in intact.stdout
    assert "checkpoint keys trusted: development" in intact.stdout

    await tamper(
        cases_sessions, "UPDATE audit_records SET actor = 'someone-else' WHERE sequence = 6"
    )
    edited = await run_verify(fresh_cases_url)

    assert edited.returncode == 1
    assert "audit trail TAMPERED" in edited.stdout
    assert "sequence 6: edited" in edited.stdout
    assert "sequence 5:" not in edited.stdout
    assert "sequence 7:" not in edited.stdout


async def test_verify_names_a_deleted_row(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await fill_log(cases_sessions, 10)

    await tamper(cases_sessions, "DELETE FROM audit_records WHERE sequence = 3")
    result = await run_verify(fresh_cases_url)

    assert result.returncode == 1
    assert "sequence 4: out of place: found at position 3: sequence 3 is missing" in result.stdout
    assert "sequence 4: broken link" in result.stdout


async def test_verify_names_rows_swapped_by_hand(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await fill_log(cases_sessions, 10)

    # Swap records 7 and 8 by renumbering them through a free number.
    await tamper(
        cases_sessions,
        "UPDATE audit_records SET sequence = 1000 WHERE sequence = 7",
        "UPDATE audit_records SET sequence = 7 WHERE sequence = 8",
        "UPDATE audit_records SET sequence = 8 WHERE sequence = 1000",
    )
    result = await run_verify(fresh_cases_url)

    assert result.returncode == 1
    assert "sequence 7: broken link" in result.stdout
    assert "sequence 7: edited" in result.stdout
    assert "sequence 8: edited" in result.stdout


async def test_verify_names_the_tail_cut_off_below_its_checkpoint(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await fill_log(cases_sessions, 10)

    await tamper(cases_sessions, "DELETE FROM audit_records WHERE sequence >= 9")
    result = await run_verify(fresh_cases_url)

    assert result.returncode == 1
    assert "sequence 10: missing" in result.stdout
