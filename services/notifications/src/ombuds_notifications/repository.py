"""Queries over the delivery log; no decisions, no commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_notifications.models import STATUS_SENT, Message


async def by_idempotency_key(session: AsyncSession, key: str) -> Message | None:
    result: Message | None = await session.scalar(
        select(Message).where(Message.idempotency_key == key)
    )
    return result


async def by_message_id(session: AsyncSession, message_id: str) -> Message | None:
    result: Message | None = await session.scalar(
        select(Message).where(Message.message_id == message_id)
    )
    return result


async def set_sent_unless_sent(session: AsyncSession, message_id: str, sent_at: datetime) -> bool:
    """Mark the message sent in one statement; False if it already was (a racing attempt)."""
    result = await session.execute(
        update(Message)
        .where(Message.message_id == message_id, Message.status != STATUS_SENT)
        .values(status=STATUS_SENT, sent_at=sent_at, error=None)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def _matching(
    recipients: Sequence[str] | None, control_number: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if recipients is not None:
        conditions.append(Message.recipient.in_(recipients))
    if control_number is not None:
        conditions.append(Message.control_number == control_number)
    return conditions


async def find(
    session: AsyncSession,
    recipients: Sequence[str] | None,
    control_number: str | None,
    limit: int,
    offset: int,
) -> list[Message]:
    """Messages to any of `recipients` and/or for `control_number`, newest first."""
    rows = await session.scalars(
        select(Message)
        .where(*_matching(recipients, control_number))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all())


async def count(
    session: AsyncSession, recipients: Sequence[str] | None, control_number: str | None
) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Message).where(*_matching(recipients, control_number))
    )
    return int(total or 0)
