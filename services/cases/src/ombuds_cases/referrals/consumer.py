"""The case follows its referrals: each `referral.*` event applied once (the inbox)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.models import InboxRecord
from ombuds_cases.referrals import service
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import CloudEvent
from ombuds_shared.inbox import claim_event

HANDLED_TYPES = tuple(service.FOLLOWED)


class ReferralEventHandler:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(self, event: CloudEvent) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            if await claim_event(uow.session, InboxRecord, event):
                await service.apply(uow.session, event)
            await uow.commit()
