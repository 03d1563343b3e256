"""`POST /api/v1/cases/{control_number}/redirect`: send the submitter to DHS TRIP or to an
agency outside DHS, and close the case."""

from fastapi import APIRouter, Request

from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.case.router import Closer
from ombuds_cases.case.router import _apply as apply_action
from ombuds_cases.redirect import service
from ombuds_cases.redirect.schemas import RedirectRequest
from ombuds_cases.router import ControlNumberPath
from ombuds_cases.schemas import CaseDetail
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["case actions"])


@router.post("/redirect", response_model=CaseDetail)
async def redirect(
    control_number: ControlNumberPath,
    actor: Closer,  # first: it names the caller to the audit; a redirection closes the case
    body: RedirectRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Redirected, then closed (`redirected_to_dhs_trip` or `no_jurisdiction`); the submitter
    is told where to turn unless the submission was anonymous."""
    return await apply_action(
        request, session_factory, audit, actor, "case.close", control_number, service.redirect, body
    )
