"""Migration 0003 builds exactly the attachments table the model describes, and undoes it."""

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ombuds_intake.attachments.models import Attachment
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import Base
from ombuds_shared.db import create_engine
from ombuds_shared.migrations import upgrade_to_head

pytestmark = pytest.mark.integration


def _mentions_attachments(diff: Any) -> bool:
    """Whether one autogenerate difference concerns the attachments table."""
    if isinstance(diff, list):  # column modifications come grouped
        return any(_mentions_attachments(item) for item in diff)
    return any(
        getattr(part, "name", None) == Attachment.__tablename__
        or getattr(getattr(part, "table", None), "name", None) == Attachment.__tablename__
        or part == Attachment.__tablename__
        for part in diff
    )


def _attachment_diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _mentions_attachments(d)]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade(database_url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.downgrade(config, revision)


async def test_migration_matches_the_model_both_ways(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert "attachments" in await connection.run_sync(_tables)
            assert await connection.run_sync(_attachment_diffs) == []
        await asyncio.to_thread(_downgrade, database_url, "0002")
        async with engine.connect() as connection:
            assert "attachments" not in await connection.run_sync(_tables)
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
        async with engine.connect() as connection:
            assert "attachments" in await connection.run_sync(_tables)
    finally:
        await engine.dispose()
