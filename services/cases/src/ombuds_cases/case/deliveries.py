"""What the notifications service did for the case, on its timeline: each message sent, and
each one that never reached the person (refused, failing past its retries, bounced).

Consumed from `ombuds.notifications.v1`. Each event is applied once (the inbox row commits
with the entry). A message about a case this service does not hold (purged, or a stray one) is
dropped with a warning: there is nothing to show it on, and waiting would not help.
"""

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.models import InboxRecord
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    NOTIFICATION_FAILED_V1,
    NOTIFICATION_SENT_V1,
    CloudEvent,
    NotificationFailedV1,
    NotificationSentV1,
)
from ombuds_shared.inbox import claim_event

log = logging.getLogger(__name__)

HANDLED_TYPES = (NOTIFICATION_SENT_V1, NOTIFICATION_FAILED_V1)
MESSAGE_SENT = "message_sent"
# The case page lists these in an alert, so staff reach the person another way.
MESSAGE_FAILED = "message_failed"
NOTIFICATIONS_ACTOR = "notifications"


def _words(name: str) -> str:
    return name.replace("_", " ")


class DeliveryHandler:
    """The `notification.sent` / `notification.failed` handler."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(self, event: CloudEvent) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            if await claim_event(uow.session, InboxRecord, event):
                await self._record(uow.session, event)
            await uow.commit()

    async def _record(self, session: AsyncSession, event: CloudEvent) -> None:
        if event.type == NOTIFICATION_SENT_V1:
            sent = NotificationSentV1.model_validate(event.data)
            number, kind = sent.control_number, MESSAGE_SENT
            summary = f"{_words(sent.template).capitalize()} sent by {sent.channel}"
            data: dict[str, Any] = {
                "message_id": sent.message_id,
                "template": sent.template,
                "channel": sent.channel,
                "sent_at": sent.sent_at.isoformat(),
            }
        else:
            failed = NotificationFailedV1.model_validate(event.data)
            number, kind = failed.control_number, MESSAGE_FAILED
            summary = (
                f"{_words(failed.template).capitalize()} by {failed.channel} {failed.status}"
                f" after {failed.attempts} attempt(s): {failed.reason}"
            )
            data = {
                "message_id": failed.message_id,
                "template": failed.template,
                "channel": failed.channel,
                "status": failed.status,
                "reason": failed.reason,
                "attempts": failed.attempts,
                "failed_at": failed.failed_at.isoformat(),
            }
        case = await repository.by_control_number(session, number)
        if case is None:
            log.warning("%s for %s, which has no case here; not recorded", event.type, number)
            return
        timeline.record(session, case, kind, summary, NOTIFICATIONS_ACTOR, data)
