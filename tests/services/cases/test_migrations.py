"""The hand-written migrations build exactly the tables the models describe, and go back."""

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import ombuds_cases.case.records
import ombuds_cases.queue.models  # noqa: F401  (registers saved views)
from ombuds_cases.migrate import MIGRATIONS
from ombuds_shared.db import create_engine
from support.cases_schema import model_diff

CASE_MODEL_TABLES = {
    "timeline_entries",
    "case_notes",
    "case_links",
    "source_pointers",
    "supplements",
    "amendments",
    "pending_signals",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _case_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("cases")}


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def test_migrations_match_the_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) >= CASE_MODEL_TABLES
            assert await connection.run_sync(model_diff) == []
    finally:
        await engine.dispose()


async def test_the_case_model_revision_goes_down_and_up_again(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        await asyncio.to_thread(_migrate, "downgrade", "0002", migrated_url)
        async with engine.connect() as connection:
            assert not CASE_MODEL_TABLES & await connection.run_sync(_tables)
            assert "office" not in await connection.run_sync(_case_columns)
        await asyncio.to_thread(_migrate, "upgrade", "head", migrated_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) >= CASE_MODEL_TABLES
            assert {"office", "assignee", "priority", "tags", "disposition"} <= (
                await connection.run_sync(_case_columns)
            )
    finally:
        await engine.dispose()
