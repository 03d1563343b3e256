"""The hand-written migrations build exactly the tables the models describe, and go back."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications.migrate import MIGRATIONS
from ombuds_notifications.models import Base, Message
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_engine


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migration_matches_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            assert {"messages", "outbox"} <= await connection.run_sync(_tables)
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def _migrate(direction: str, revision: str, url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, direction)(config, revision)


def _columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("messages")}


def _indexes(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("messages")}


def _unique_columns(connection: Connection) -> set[tuple[str, ...]]:
    found = {
        tuple(str(c) for c in constraint["column_names"])
        for constraint in inspect(connection).get_unique_constraints("messages")
    }
    # Some backends report a unique constraint as a unique index instead.
    found |= {
        tuple(str(c) for c in index["column_names"])
        for index in inspect(connection).get_indexes("messages")
        if index["unique"]
    }
    return found


async def _inspect(url: str, look: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def test_letter_body_migration_goes_down_and_up_keeping_the_log(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    control_number = new_control_number()
    async with session_factory() as session:
        session.add(
            Message(
                message_id=str(uuid.uuid4()),
                idempotency_key=f"{control_number}:acknowledgement-letter",
                control_number=control_number,
                template="acknowledgement_letter",
                language="en",
                channel="letter",
                recipient="Ana Pérez",
                subject="Acknowledgement",
                status="ready_to_print",
                attempts=1,
                body="<p>letter</p>",
            )
        )
        await session.commit()
    assert "body" in await _inspect(migrated_url, _columns)

    await asyncio.to_thread(_migrate, "downgrade", "0001", migrated_url)
    try:
        assert "body" not in await _inspect(migrated_url, _columns)
        assert {"ix_messages_control_number", "ix_messages_recipient"} <= await _inspect(
            migrated_url, _indexes
        )
        assert {("message_id",), ("idempotency_key",)} <= await _inspect(
            migrated_url, _unique_columns
        )
    finally:
        await asyncio.to_thread(_migrate, "upgrade", "head", migrated_url)

    assert await _inspect(migrated_url, _diff) == []
    async with session_factory() as session:
        message = await session.scalar(
            select(Message).where(Message.control_number == control_number)
        )
    assert message is not None
    assert (message.recipient, message.body) == ("Ana Pérez", None)
