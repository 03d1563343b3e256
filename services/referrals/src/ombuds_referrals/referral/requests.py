"""Referrals asked for from the case (`ombuds.case.referral-requested.v1`), made once.

The inbox drops a redelivered event and the referral's id, chosen by the cases service,
drops a second copy with another event id; then the workflow starts exactly as when staff
refer through this service's own API. A recipient that is unknown or disabled is answered
with `ombuds.referral.refused.v1`, so the case goes back to work instead of waiting forever.
"""

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_referrals.models import DirectoryEntry, InboxRecord, OutboxRecord, Referral
from ombuds_referrals.referral import service
from ombuds_referrals.referral.events import SOURCE
from ombuds_referrals.referral.schemas import ReferralCreate
from ombuds_referrals.referral.workflows import start_after_commit
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    CASE_REFERRAL_REQUESTED_V1,
    REFERRAL_REFUSED_V1,
    REFERRALS_TOPIC,
    CaseReferralRequestedV1,
    CloudEvent,
    ReferralRefusedV1,
    make_event,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import add_to_outbox
from ombuds_shared.temporal import TemporalConnection

log = logging.getLogger(__name__)
HANDLED_TYPES = (CASE_REFERRAL_REQUESTED_V1,)


class ReferralRequestHandler:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], temporal: TemporalConnection
    ) -> None:
        self._session_factory = session_factory
        self._temporal = temporal

    async def __call__(self, event: CloudEvent) -> None:
        requested = CaseReferralRequestedV1.model_validate(event.data)
        made = None
        async with UnitOfWork(self._session_factory) as uow:
            fresh = await claim_event(uow.session, InboxRecord, event)
            if fresh and await uow.session.get(Referral, requested.referral_id) is None:
                made = await _make(uow.session, requested)
            await uow.commit()
        if made is not None:
            referral, recipient = made
            await start_after_commit(self._session_factory, self._temporal, referral, recipient)


async def _make(
    session: AsyncSession, requested: CaseReferralRequestedV1
) -> tuple[Referral, DirectoryEntry] | None:
    now = utcnow()
    body = ReferralCreate(
        control_number=requested.control_number,
        recipient_id=requested.recipient_id,
        purpose=requested.purpose,
        nature=requested.nature,
    )
    try:
        return await service.create_referral(session, body, now, requested.referral_id)
    except service.UnknownRecipientError as error:
        log.warning("referral %s refused: %s", requested.referral_id, error.message)
        refused = ReferralRefusedV1(
            referral_id=requested.referral_id,
            control_number=requested.control_number,
            recipient_id=requested.recipient_id,
            occurred_at=now,
            reason=f"no enabled directory entry {requested.recipient_id!r}",
        )
        add_to_outbox(
            session,
            OutboxRecord,
            REFERRALS_TOPIC,
            make_event(SOURCE, REFERRAL_REFUSED_V1, refused, subject=requested.control_number),
        )
        return None
