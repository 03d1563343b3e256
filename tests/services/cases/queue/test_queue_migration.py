"""Revision 0008_queue_search: down and up again, giving cases opened before it a due date."""

import asyncio
from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import service
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.models import Case
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork

from ..conftest import submission


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


async def test_cases_from_before_the_revision_get_a_due_date(
    fresh_cases_url: str, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    received = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    async with UnitOfWork(cases_sessions) as uow:
        service.open_case(uow.session, submission(new_control_number(), received_at=received))
        await uow.commit()

    await asyncio.to_thread(_migrate, "downgrade", "0004_staff_accounts", fresh_cases_url)
    async with cases_sessions() as session:
        columns = await session.run_sync(
            lambda s: {c["name"] for c in inspect(s.connection()).get_columns("cases")}
        )
        tables = await session.run_sync(lambda s: inspect(s.connection()).get_table_names())
    assert "due_at" not in columns
    assert "saved_views" not in tables

    await asyncio.to_thread(_migrate, "upgrade", "head", fresh_cases_url)
    async with cases_sessions() as session:
        due = await session.scalar(select(Case.due_at))
    assert due == received + timedelta(days=21)
