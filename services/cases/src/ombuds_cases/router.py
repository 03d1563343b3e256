"""The staff API of the cases service."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import AuditDep, record_denied, shown_fields
from ombuds_cases.models import Case
from ombuds_cases.schemas import (
    CaseDetail,
    CasePage,
    CaseSummary,
    ContactView,
    StatusChangeView,
)
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.contracts import case_workflow_id
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.http import SessionFactoryDep

bearer = HTTPBearer(auto_error=False)


async def require_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    expected: str = request.app.state.settings.dev_staff_token
    if credentials is None or not secrets.compare_digest(credentials.credentials, expected):
        await record_denied(request)
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="A staff bearer token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/api/v1", tags=["cases"], dependencies=[Depends(require_staff)])


def _detail(case: Case) -> CaseDetail:
    contact = (
        None
        if case.anonymous
        else ContactView(
            first_name=case.contact_first_name,
            last_name=case.contact_last_name,
            email=case.contact_email,
        )
    )
    return CaseDetail(
        control_number=case.control_number,
        kind=case.kind,
        category=case.category,
        channel=case.channel,
        status=case.status,
        anonymous=case.anonymous,
        received_at=case.received_at,
        updated_at=case.updated_at,
        form_version=case.form_version,
        topic=case.topic,
        narrative=case.narrative,
        incident_date=case.incident_date,
        port_of_entry=case.port_of_entry,
        language=case.language,
        contact=contact,
        details=case.details or {},
        workflow_id=case_workflow_id(case.control_number),
        status_history=[StatusChangeView.model_validate(change) for change in case.history],
    )


@router.get("/cases", response_model=CasePage)
async def list_cases(
    session_factory: SessionFactoryDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """Cases, newest first, one page at a time."""
    async with session_factory() as session:
        cases, total = await repository.page(session, status_filter, limit, offset)
    return CasePage(
        items=[CaseSummary.model_validate(case) for case in cases],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/cases/{control_number}", response_model=CaseDetail)
async def get_case(
    control_number: Annotated[str, Path(max_length=40)],
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """One case with its status history; every attempt is audited."""
    try:
        canonical = parse_control_number(control_number)
    except InvalidControlNumber as error:
        await audit.record("read", "case", control_number, outcome="error")
        raise HTTPException(status_code=422, detail=str(error)) from error
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical, with_history=True)
    if case is None:
        await audit.record("read", "case", canonical, outcome="not_found")
        raise CaseNotFoundError(canonical)
    detail = _detail(case)
    await audit.record("read", "case", canonical, fields=shown_fields(detail))
    return detail
