"""The agency API: a recipient sees its own referrals and answers them with its API key."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ombuds_referrals.auth import AgencyDep
from ombuds_referrals.referral import service
from ombuds_referrals.referral.router import view
from ombuds_referrals.referral.schemas import AgencyText, DispositionRequest, ReferralView
from ombuds_referrals.referral.workflows import signal_after_commit
from ombuds_shared.contracts import (
    REFERRAL_ACKNOWLEDGED_SIGNAL,
    REFERRAL_DISPOSITION_SIGNAL,
    REFERRAL_RESPONDED_SIGNAL,
    ReferralAcknowledged,
    ReferralDispositionReceived,
    ReferralResponded,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/agency/referrals", tags=["agency"])


@router.get("", response_model=list[ReferralView])
async def my_referrals(
    agency_id: AgencyDep,
    session_factory: SessionFactoryDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReferralView]:
    """The referrals sent to the calling agency, newest first."""
    async with UnitOfWork(session_factory) as uow:
        referrals = await service.referrals_for_agency(uow.session, agency_id, limit, offset)
    return [view(referral) for referral in referrals]


@router.post("/{referral_id}/acknowledge", response_model=ReferralView)
async def acknowledge(
    referral_id: str, agency_id: AgencyDep, request: Request, session_factory: SessionFactoryDep
) -> ReferralView:
    now = utcnow()
    async with UnitOfWork(session_factory) as uow:
        referral, changed = await service.acknowledge(uow.session, agency_id, referral_id, now)
        await uow.commit()
    if changed:
        await signal_after_commit(
            request.app.state.temporal,
            referral.id,
            REFERRAL_ACKNOWLEDGED_SIGNAL,
            ReferralAcknowledged(at=now),
        )
    return view(referral)


@router.post("/{referral_id}/questions", response_model=ReferralView, status_code=201)
async def ask_question(
    referral_id: str,
    body: AgencyText,
    agency_id: AgencyDep,
    session_factory: SessionFactoryDep,
) -> ReferralView:
    """A question for the referring office; it does not change the workflow's course."""
    async with UnitOfWork(session_factory) as uow:
        referral = await service.ask_question(
            uow.session, agency_id, referral_id, body.text, utcnow()
        )
        await uow.commit()
    return view(referral)


@router.post("/{referral_id}/response", response_model=ReferralView)
async def respond(
    referral_id: str,
    body: AgencyText,
    agency_id: AgencyDep,
    request: Request,
    session_factory: SessionFactoryDep,
) -> ReferralView:
    now = utcnow()
    async with UnitOfWork(session_factory) as uow:
        referral = await service.respond(uow.session, agency_id, referral_id, body.text, now)
        await uow.commit()
    await signal_after_commit(
        request.app.state.temporal,
        referral.id,
        REFERRAL_RESPONDED_SIGNAL,
        ReferralResponded(at=now),
    )
    return view(referral)


@router.post("/{referral_id}/disposition", response_model=ReferralView)
async def disposition(
    referral_id: str,
    body: DispositionRequest,
    agency_id: AgencyDep,
    request: Request,
    session_factory: SessionFactoryDep,
) -> ReferralView:
    now = utcnow()
    async with UnitOfWork(session_factory) as uow:
        referral = await service.record_disposition(
            uow.session, agency_id, referral_id, body.disposition, now
        )
        await uow.commit()
    await signal_after_commit(
        request.app.state.temporal,
        referral.id,
        REFERRAL_DISPOSITION_SIGNAL,
        ReferralDispositionReceived(at=now),
    )
    return view(referral)
