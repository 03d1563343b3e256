"""The retention purge (issue 6): when a case's retention expires, notifications forgets the
person.

Consumes `case.archive-requested` from the cases topic and, in one transaction with its inbox
row, deletes the case's contact copy, its parked events and its outbox events, and scrubs
every message in the delivery log (recipient, subject, failure or bounce reason, a letter's rendered body), then
stages `retention.store-cleared` in its own outbox.

What remains of each message is a stub with no personal data: its ids, the one-per-step
idempotency key, template, language, channel, status, attempts and dates, so a stray retry
of an old step still finds it and sends nothing. Letters are never stored as PDF files: a
letter is its rendered body in the `messages` row, scrubbed here.
"""

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications.models import (
    CaseContact,
    InboxRecord,
    Message,
    OutboxRecord,
    ParkedEvent,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    NOTIFICATIONS_TOPIC,
    STORE_CLEARED_V1,
    CaseArchiveRequestedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/notifications"
SERVICE = "notifications"


def _count(result: object) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


async def purge_case(session: AsyncSession, control_number: str) -> dict[str, int]:
    """Delete or scrub everything about the case (the caller commits); returns the manifest."""
    # Only rows still holding something count, so a second request reports nothing new.
    scrubbed = await session.execute(
        update(Message)
        .where(
            Message.control_number == control_number,
            or_(
                Message.recipient != "",
                Message.subject != "",
                Message.error.is_not(None),
                Message.body.is_not(None),
            ),
        )
        .values(recipient="", subject="", error=None, body=None)
    )
    contacts = await session.execute(
        delete(CaseContact).where(CaseContact.control_number == control_number)
    )
    # Events still waiting for a contact that never came (a case from before contacts were
    # kept): they carry case data (a question, a closure's resolution).
    parked = await session.execute(
        delete(ParkedEvent).where(ParkedEvent.control_number == control_number)
    )
    # Every event this service staged about the case is keyed by its control number; earlier
    # store-cleared answers hold no personal data and stay as the record of the purge.
    outbox = await session.execute(
        delete(OutboxRecord).where(
            OutboxRecord.message_key == control_number,
            OutboxRecord.event_type != STORE_CLEARED_V1,
        )
    )
    return {
        "messages": _count(scrubbed),
        "case_contacts": _count(contacts),
        "outbox": _count(outbox),
        "parked_events": _count(parked),
    }


class RetentionPurger:
    """The `case.archive-requested` handler: purge once per request, then answer."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._on_commit = on_commit

    async def handle(self, event: CloudEvent) -> None:
        request = CaseArchiveRequestedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if not await claim_event(uow.session, InboxRecord, event):
                return
            manifest = await purge_case(uow.session, request.control_number)
            body = StoreClearedV1(
                control_number=request.control_number, service=SERVICE, manifest=manifest
            )
            cleared = make_event(EVENT_SOURCE, STORE_CLEARED_V1, body, request.control_number)
            add_to_outbox(uow.session, OutboxRecord, NOTIFICATIONS_TOPIC, cleared)
            await uow.commit()
        self._on_commit()
