"""`/api/v1/cases/{control_number}/referrals`: refer the case, and list its referrals."""

from fastapi import APIRouter, Request, status

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.case.router import Reader, Updater
from ombuds_cases.case.router import _apply as apply_action
from ombuds_cases.referrals import service
from ombuds_cases.referrals.schemas import CaseReferralView, ReferCase
from ombuds_cases.router import ControlNumberPath, canonical_control_number, out_of_scope
from ombuds_cases.schemas import CaseDetail
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.staff.policy import can
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["case actions"])


@router.post("/referrals", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def refer(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: ReferCase,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Refer the case to a directory entry of the referrals service; the case is `referred`
    and the referral appears under `referrals` once the referrals service has made it."""
    return await apply_action(
        request, session_factory, audit, actor, "case.update", control_number, service.refer, body
    )


@router.get("/referrals", response_model=list[CaseReferralView])
async def referrals(
    control_number: ControlNumberPath,
    actor: Reader,  # first: it names the caller to the audit
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> list[CaseReferralView]:
    """The case's referrals as the referrals service last reported them; the read is audited."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await audit.record("read", "case", canonical, outcome="not_found")
            raise CaseNotFoundError(canonical)
        if not can(actor, "case.read", case.office):
            await audit.record("read", "case", canonical, outcome="denied")
            raise out_of_scope(canonical)
        rows = await service.for_case(session, canonical)
    await audit.record("read", "case", canonical, fields=["referrals"])
    return [CaseReferralView.model_validate(row) for row in rows]
