"""The staff referral API: refer a case, list a case's referrals, recall one."""

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from ombuds_referrals.auth import ReferralStaff
from ombuds_referrals.models import Referral
from ombuds_referrals.referral import service
from ombuds_referrals.referral.schemas import RecallRequest, ReferralCreate, ReferralView
from ombuds_referrals.referral.workflows import signal_after_commit, start_after_commit
from ombuds_shared.contracts import RECALL_REFERRAL_SIGNAL, RecallReferral
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import ServiceError, SessionFactoryDep
from ombuds_shared.temporal import TemporalConnection

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"], dependencies=[ReferralStaff])


class InvalidControlNumberError(ServiceError):
    status_code = 422
    code = "invalid_control_number"


def view(referral: Referral) -> ReferralView:
    return ReferralView.model_validate(referral)


@router.post("", response_model=ReferralView, status_code=status.HTTP_201_CREATED)
async def create_referral(
    body: ReferralCreate, request: Request, session_factory: SessionFactoryDep
) -> ReferralView:
    """Refer a case; its Referral workflow starts now, or as soon as Temporal answers."""
    async with UnitOfWork(session_factory) as uow:
        referral, recipient = await service.create_referral(uow.session, body, utcnow())
        await uow.commit()
    temporal: TemporalConnection = request.app.state.temporal
    await start_after_commit(session_factory, temporal, referral, recipient)
    return view(referral)


@router.get("", response_model=list[ReferralView])
async def list_referrals(
    session_factory: SessionFactoryDep,
    control_number: Annotated[str, Query(max_length=32)],
) -> list[ReferralView]:
    try:
        number = parse_control_number(control_number)
    except InvalidControlNumber as error:
        raise InvalidControlNumberError(f"control_number: {error}") from error
    async with UnitOfWork(session_factory) as uow:
        referrals = await service.referrals_for_case(uow.session, number)
    return [view(referral) for referral in referrals]


@router.post("/{referral_id}/recall", response_model=ReferralView)
async def recall_referral(
    referral_id: str, body: RecallRequest, request: Request, session_factory: SessionFactoryDep
) -> ReferralView:
    """Recall it: recorded now; the workflow then tells the recipient and ends."""
    async with UnitOfWork(session_factory) as uow:
        referral = await service.recall(uow.session, referral_id, body.reason, utcnow())
        await uow.commit()
    await signal_after_commit(
        request.app.state.temporal,
        referral.id,
        RECALL_REFERRAL_SIGNAL,
        RecallReferral(reason=body.reason),
    )
    return view(referral)
