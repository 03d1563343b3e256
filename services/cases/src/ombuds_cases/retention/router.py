"""The retention API: a closed case's schedule and legal holds, and deletion certificates.

Placing and lifting a hold is the records officer's (`retention.hold`); reading the schedule
and certificates is `retention.read`. Both carry no case office (agency-wide roles).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.retention import holds
from ombuds_cases.retention.models import DeletionCertificate
from ombuds_cases.retention.schemas import CertificateView, HoldRequest, HoldView, RetentionView
from ombuds_cases.router import ControlNumberPath, canonical_control_number
from ombuds_cases.staff.auth import require
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import NotFoundError, SessionFactoryDep

HoldPlacer = Annotated[StaffActor, Depends(require("retention.hold"))]
RetentionReader = Annotated[StaffActor, Depends(require("retention.read"))]

router = APIRouter(tags=["retention"])


class CertificateNotFoundError(NotFoundError):
    def __init__(self, certificate_id: str) -> None:
        super().__init__(f"No deletion certificate has id {certificate_id}.")


def certificate_view(row: DeletionCertificate) -> CertificateView:
    return CertificateView(
        id=row.id,
        control_number=row.control_number,
        issued_at=row.issued_at,
        due_at=row.due_at,
        manifests=row.manifests,
        holds=[
            HoldView(id=index + 1, control_number=row.control_number, **hold)
            for index, hold in enumerate(row.holds)
        ],
    )


@router.get("/api/v1/cases/{control_number}/retention", response_model=RetentionView)
async def case_retention(
    control_number: ControlNumberPath,
    actor: RetentionReader,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> RetentionView:
    """When the closed case falls due for purge, its state, and every hold placed on it."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        view = await holds.retention_of(session, canonical)
    await audit.record("read", "retention", canonical)
    return view


@router.post(
    "/api/v1/cases/{control_number}/holds",
    response_model=HoldView,
    status_code=status.HTTP_201_CREATED,
)
async def place_hold(
    control_number: ControlNumberPath,
    body: HoldRequest,
    actor: HoldPlacer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> HoldView:
    """Stop the case's purge until the hold is lifted; the workflow is told after commit."""
    canonical = canonical_control_number(control_number)
    async with UnitOfWork(session_factory) as uow:
        hold = await holds.place(uow.session, canonical, body.reason, actor.email)
        await audit.append_in(uow.session, "create", "retention_hold", canonical)
        await uow.commit()
        view = holds.hold_view(hold)
    return view


@router.post("/api/v1/cases/{control_number}/holds/lift", response_model=list[HoldView])
async def lift_hold(
    control_number: ControlNumberPath,
    body: HoldRequest,
    actor: HoldPlacer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> list[HoldView]:
    """Lift every standing hold on the case; a purge already due then runs at once."""
    canonical = canonical_control_number(control_number)
    async with UnitOfWork(session_factory) as uow:
        lifted = await holds.lift(uow.session, canonical, body.reason, actor.email)
        await audit.append_in(uow.session, "update", "retention_hold", canonical)
        await uow.commit()
        views = [holds.hold_view(hold) for hold in lifted]
    return views


@router.get("/api/v1/retention/certificates/{certificate_id}", response_model=CertificateView)
async def certificate(
    certificate_id: str,
    actor: RetentionReader,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CertificateView:
    """A deletion certificate: every store cleared, service by service, and what delayed it."""
    async with session_factory() as session:
        row = await session.get(DeletionCertificate, certificate_id)
    if row is None:
        raise CertificateNotFoundError(certificate_id)
    await audit.record("read", "deletion_certificate", certificate_id)
    return certificate_view(row)
