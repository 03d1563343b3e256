"""Turns the referrals service's `referral.delivered` into an accounting row, once."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.disclosures import service
from ombuds_cases.models import InboxRecord
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import REFERRAL_DELIVERED_V1, CloudEvent, ReferralDeliveredV1
from ombuds_shared.inbox import claim_event

HANDLED_TYPES = (REFERRAL_DELIVERED_V1,)


class ReferralDeliveryHandler:
    """The inbox drops a redelivered event; the row's unique source key drops a second
    delivery event of the same referral (another channel, a retry with a new event id)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(self, event: CloudEvent) -> None:
        delivered = ReferralDeliveredV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if await claim_event(uow.session, InboxRecord, event):
                await service.record_referral_delivery(uow.session, delivered)
            await uow.commit()
