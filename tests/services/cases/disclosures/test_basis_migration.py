"""Revision 0011_disclosure_basis: rows from before it get the basis their source implies
(a referral was accounted only outside DHS then, so it is a routine use), and it goes back."""

import asyncio
from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.disclosures.models import Disclosure
from ombuds_cases.migrate import MIGRATIONS

BEFORE = "0010_retention_records"


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def test_rows_from_before_the_revision_get_the_basis_of_their_source(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await asyncio.to_thread(_migrate, "downgrade", BEFORE, fresh_cases_url)
    async with cases_sessions() as session:
        columns = await session.run_sync(
            lambda s: {c["name"] for c in inspect(s.connection()).get_columns("disclosures")}
        )
        assert "basis" not in columns
        for source in ("referral", "manual", "release", "correction"):
            await session.execute(
                text(
                    "INSERT INTO disclosures (source_key, source, control_number, disclosed_at,"
                    " nature, purpose, recipient_name, recipient_address, method, disclosed_by,"
                    " retain_until, recorded_at) VALUES (:key, :source, 'OMB-1', :at, 'n', 'p',"
                    " 'r', 'a', 'm', 'd', :at, :at)"
                ),
                {
                    "key": f"{source}:1",
                    "source": source,
                    "at": datetime(2026, 11, 20, 10, tzinfo=UTC),
                },
            )
        await session.commit()

    await asyncio.to_thread(_migrate, "upgrade", "head", fresh_cases_url)
    async with cases_sessions() as session:
        found = (await session.execute(select(Disclosure.source, Disclosure.basis))).all()
    assert dict(found) == {
        "referral": "b3_routine_use",
        "manual": "manual",
        "release": "release",
        "correction": "correction",
    }
