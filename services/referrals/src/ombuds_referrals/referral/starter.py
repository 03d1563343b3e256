"""Starts the workflow of every referral whose start did not happen in its request.

The staff API starts the workflow right after commit; if Temporal was unreachable then, the
referral's `workflow_started` stays false and this loop starts it when Temporal is back.
"""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError

from ombuds_referrals.models import DirectoryEntry, Referral
from ombuds_referrals.referral.workflows import start_referral
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.temporal import TemporalConnection

log = logging.getLogger(__name__)


async def start_pending(
    session_factory: async_sessionmaker[AsyncSession], temporal: TemporalConnection
) -> int:
    """Start each referral not started and older than a few seconds; how many were started."""
    started = 0
    async with UnitOfWork(session_factory) as uow:
        rows = (
            await uow.session.execute(
                select(Referral, DirectoryEntry)
                .join(DirectoryEntry, DirectoryEntry.id == Referral.recipient_id)
                .where(
                    Referral.workflow_started.is_(False),
                    # Recalled before its workflow ever ran: nothing to deliver or recall.
                    Referral.recalled_at.is_(None),
                    Referral.created_at < utcnow() - timedelta(seconds=5),
                )
                .limit(100)
            )
        ).all()
        for referral, recipient in rows:
            await start_referral(temporal.client, referral, recipient)
            referral.workflow_started = True
            started += 1
        await uow.commit()
    return started


class PendingStarts:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        temporal: TemporalConnection,
        interval: float = 5.0,
    ) -> None:
        self._session_factory = session_factory
        self._temporal = temporal
        self._interval = interval

    async def run(self) -> None:
        await self._temporal.wait()
        while True:
            try:
                await start_pending(self._session_factory, self._temporal)
            except RPCError as error:
                log.warning("starting pending referral workflows failed (%s)", error)
            await asyncio.sleep(self._interval)
