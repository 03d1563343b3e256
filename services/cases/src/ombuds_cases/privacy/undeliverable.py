"""An earlier recipient referrals could not tell of a correction (552a(c)(4)) goes on the
case timeline, so staff see whom to write to and why."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.models import InboxRecord
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    REFERRAL_CORRECTION_UNDELIVERABLE_V1,
    CloudEvent,
    ReferralCorrectionUndeliverableV1,
)
from ombuds_shared.inbox import claim_event

HANDLED_TYPES = (REFERRAL_CORRECTION_UNDELIVERABLE_V1,)
KIND = "correction_notice_undeliverable"
ACTOR = "referrals"


class UndeliverableCorrectionHandler:
    """Once per event (inbox); an unknown case (already archived) is dropped."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(self, event: CloudEvent) -> None:
        body = ReferralCorrectionUndeliverableV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if await claim_event(uow.session, InboxRecord, event):
                case = await repository.by_control_number(uow.session, body.control_number)
                if case is not None:
                    timeline.record(
                        uow.session,
                        case,
                        KIND,
                        f"correction of {body.field} not delivered to {body.recipient_name}: "
                        f"{body.reason}",
                        ACTOR,
                        {
                            "amendment_id": body.amendment_id,
                            "field": body.field,
                            "recipient_name": body.recipient_name,
                            "recipient_address": body.recipient_address,
                            "disclosed_at": body.disclosed_at.isoformat(),
                            "reason": body.reason,
                        },
                    )
            await uow.commit()
