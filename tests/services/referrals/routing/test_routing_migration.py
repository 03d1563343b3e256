"""0003_routing_rules builds exactly the tables the models describe, seeds the PIA's rules,
and goes back to 0002 without touching the directory."""

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from ombuds_referrals.migrate import MIGRATIONS
from ombuds_referrals.models import Base
from ombuds_shared.db import create_engine


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def _state(url: str) -> tuple[set[str], list[Any], list[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            diff = await connection.run_sync(_diff) if "routing_rules" in tables else []
            seeded = (
                list(
                    (
                        await connection.execute(
                            text("SELECT id FROM routing_rules ORDER BY priority")
                        )
                    )
                    .scalars()
                    .all()
                )
                if "routing_rules" in tables
                else []
            )
    finally:
        await engine.dispose()
    return tables, diff, seeded


async def test_the_migration_matches_the_models_seeds_and_goes_back(database_url: str) -> None:
    await asyncio.to_thread(_migrate, "upgrade", "head", database_url)
    tables, diff, seeded = await _state(database_url)
    assert {"routing_rules", "routing_decisions", "directory_entries"} <= tables
    assert diff == []
    assert seeded == [
        "credible-threat",
        "visa-passport",
        "civil-liberties",
        "employee-misconduct",
        "tip-violation-or-threat",
        "port-of-entry",
    ]

    await asyncio.to_thread(_migrate, "downgrade", "0002_directory_and_referrals", database_url)
    tables, _, _ = await _state(database_url)
    assert "routing_rules" not in tables
    assert "routing_decisions" not in tables
    assert "directory_entries" in tables

    await asyncio.to_thread(_migrate, "upgrade", "head", database_url)
    assert (await _state(database_url))[2][0] == "credible-threat"
