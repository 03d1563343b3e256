"""Forwards each service's purge confirmation to the case's Retention workflow, once.

Intake, referrals and notifications publish `retention.store-cleared.v1` on their own topics
when their purge is done. The handler stages a `store_cleared` signal for `retention-<n>` in
the signal outbox (case/signals.py), in the transaction that claims the event in the inbox:
a redelivered event is dropped by the inbox, and a second confirmation from the same service
(a republished event with a new id) finds its signal already staged.
"""

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.case.signals import SignalSender, queue_signal
from ombuds_cases.models import InboxRecord
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import STORE_CLEARED_V1, CloudEvent, StoreClearedV1
from ombuds_shared.inbox import claim_event
from ombuds_shared.retention_contracts import STORE_CLEARED_SIGNAL, StoreCleared

log = logging.getLogger(__name__)

HANDLED_TYPES = (STORE_CLEARED_V1,)


async def already_forwarded(session: AsyncSession, control_number: str, service: str) -> bool:
    payloads = await session.scalars(
        select(PendingSignal.payload).where(
            PendingSignal.control_number == control_number,
            PendingSignal.signal == STORE_CLEARED_SIGNAL,
        )
    )
    return any(payload.get("service") == service for payload in payloads)


async def forward_store_cleared(session: AsyncSession, cleared: StoreClearedV1) -> bool:
    """Stage the signal in the caller's transaction; False if this service's was staged."""
    if await already_forwarded(session, cleared.control_number, cleared.service):
        log.info(
            "store_cleared from %s for %s: already forwarded",
            cleared.service,
            cleared.control_number,
        )
        return False
    body = StoreCleared(service=cleared.service, manifest=dict(cleared.manifest))
    queue_signal(session, cleared.control_number, STORE_CLEARED_SIGNAL, body)
    return True


class StoreClearedHandler:
    """The consumer's handler for `retention.store-cleared.v1` from the purging services."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], signals: SignalSender | None
    ) -> None:
        self._session_factory = session_factory
        self._signals = signals

    async def __call__(self, event: CloudEvent) -> None:
        cleared = StoreClearedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            staged = await claim_event(uow.session, InboxRecord, event) and (
                await forward_store_cleared(uow.session, cleared)
            )
            await uow.commit()
        if staged and self._signals is not None:
            self._signals.notify()
