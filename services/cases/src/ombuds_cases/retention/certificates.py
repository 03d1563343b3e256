"""`cases.issue_deletion_certificate`: the proof that a case's record left every store.

Idempotent: the certificate is keyed by control number, so a retried activity (or a second
call after a crash) answers the same certificate with `already_issued=True`. The certificate,
its `case.deletion-certified` event, the timeline entry on the archived case and the schedule
projection's `certified` state are one transaction.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.models import OutboxRecord
from ombuds_cases.retention import schedule
from ombuds_cases.retention.models import CERTIFIED, DeletionCertificate, RetentionHold
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    CASE_DELETION_CERTIFIED_V1,
    CASES_TOPIC,
    CaseDeletionCertifiedV1,
    make_event,
)
from ombuds_shared.outbox import add_to_outbox
from ombuds_shared.retention_contracts import (
    ISSUE_DELETION_CERTIFICATE_ACTIVITY,
    CertificateResult,
    IssueDeletionCertificate,
)


def _hold_record(hold: RetentionHold) -> dict[str, Any]:
    return {
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at.isoformat(),
        "lifted_by": hold.lifted_by,
        "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lift_reason": hold.lift_reason,
    }


async def existing(session: AsyncSession, control_number: str) -> DeletionCertificate | None:
    found: DeletionCertificate | None = await session.scalar(
        select(DeletionCertificate).where(DeletionCertificate.control_number == control_number)
    )
    return found


async def issue(session: AsyncSession, request: IssueDeletionCertificate) -> DeletionCertificate:
    """Stage a new certificate with its event, timeline entry and projection state."""
    number = request.control_number
    row = await schedule.schedule_for(session, number)
    holds_query = select(RetentionHold).where(RetentionHold.control_number == number)
    if row is not None:
        # Only this closure's holds: one placed before a reopen delayed nothing here.
        holds_query = holds_query.where(RetentionHold.placed_at >= row.closed_at)
    holds = list((await session.scalars(holds_query.order_by(RetentionHold.id))).all())
    now = utcnow()
    certificate = DeletionCertificate(
        id=str(uuid.uuid4()),
        control_number=number,
        issued_at=now,
        manifests={service: dict(stores) for service, stores in request.manifests.items()},
        due_at=row.due_at if row is not None else None,
        holds=[_hold_record(h) for h in holds],
    )
    session.add(certificate)
    await schedule.set_state(session, number, CERTIFIED, certificate.id)
    body = CaseDeletionCertifiedV1(
        control_number=number,
        certificate_id=certificate.id,
        issued_at=now,
        due_at=certificate.due_at,
        manifests=certificate.manifests,
        holds=len(holds),
    )
    add_to_outbox(
        session,
        OutboxRecord,
        CASES_TOPIC,
        make_event(timeline.EVENT_SOURCE, CASE_DELETION_CERTIFIED_V1, body, number),
    )
    case = await repository.by_control_number(session, number)
    if case is not None:
        stores = sum(len(stores) for stores in certificate.manifests.values())
        timeline.record(
            session,
            case,
            "deletion_certified",
            f"deletion certificate {certificate.id}: {stores} stores cleared in "
            f"{len(certificate.manifests)} services",
            "workflow",
            {"certificate_id": certificate.id},
        )
    return certificate


class RetentionActivities:
    """The cases service's side of the Retention workflow's certificate step."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    @activity.defn(name=ISSUE_DELETION_CERTIFICATE_ACTIVITY)
    async def issue_deletion_certificate(
        self, request: IssueDeletionCertificate
    ) -> CertificateResult:
        async with UnitOfWork(self._session_factory) as uow:
            found = await existing(uow.session, request.control_number)
            if found is not None:
                return CertificateResult(certificate_id=found.id, already_issued=True)
            certificate = await issue(uow.session, request)
            try:
                await uow.commit()
            except IntegrityError:
                # A concurrent attempt committed first: answer its certificate.
                await uow.session.rollback()
                found = await existing(uow.session, request.control_number)
                if found is None:
                    raise
                return CertificateResult(certificate_id=found.id, already_issued=True)
            return CertificateResult(certificate_id=certificate.id, already_issued=False)
