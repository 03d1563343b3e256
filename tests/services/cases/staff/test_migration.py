"""Migration 0004_staff_accounts builds exactly the staff tables the models describe."""

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import ombuds_cases.staff.models  # noqa: F401  (registers the staff tables)
from ombuds_shared.db import create_engine
from support.cases_schema import model_diff


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migration_matches_the_staff_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            assert {"staff_accounts", "staff_training_attestations", "staff_sessions"} <= tables
            assert await connection.run_sync(model_diff) == []
    finally:
        await engine.dispose()
