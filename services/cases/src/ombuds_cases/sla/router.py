"""`GET /api/v1/cases/{control_number}/service-levels`: the case's clocks, from its workflow."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.router import ControlNumberPath, canonical_control_number, out_of_scope
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.sla.levels import query_service_levels
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor, can
from ombuds_shared.contracts import ServiceLevels
from ombuds_shared.http import SessionFactoryDep, UnavailableError

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["service levels"])

Reader = Annotated[StaffActor, Depends(permitted("case.read"))]


@router.get(
    "/service-levels",
    response_model=ServiceLevels,
    responses={503: {"description": "the workflow engine is not reachable: levels unknown"}},
)
async def service_levels(
    control_number: ControlNumberPath,
    actor: Reader,  # first: it names the caller to the audit
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> ServiceLevels:
    """Triage and response clocks: due date, business days left, state (on_track, due_soon,
    breached, paused, met); `unknown` with no clocks when the case's workflow is gone."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await audit.record("read", "case", canonical, outcome="not_found")
            raise CaseNotFoundError(canonical)
        if not can(actor, "case.read", case.office):
            await audit.record("read", "case", canonical, outcome="denied")
            raise out_of_scope(canonical)
    await audit.record("read", "case", canonical, fields=["service_levels"])
    temporal = getattr(request.app.state, "temporal", None)
    if temporal is None:
        raise UnavailableError("service levels unknown: the workflow engine is not configured.")
    return await query_service_levels(temporal.client, canonical)
