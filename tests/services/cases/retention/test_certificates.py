"""`cases.issue_deletion_certificate`: one certificate per case whatever the retries, with its
event, its timeline entry on the archived case and the projection's `certified` state."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import TimelineEntry
from ombuds_cases.models import Case, OutboxRecord
from ombuds_cases.retention import holds, schedule
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.retention.models import CERTIFIED, DeletionCertificate
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import CASE_DELETION_CERTIFIED_V1
from ombuds_shared.retention_contracts import IssueDeletionCertificate

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]
MANIFESTS = {
    "cases": {"cases": 1, "case_notes": 2, "case_data_keys": 1},
    "intake": {"submissions": 1, "attachments": 3},
    "notifications": {"messages": 2},
}


async def closed_with_a_lifted_hold(sessions: SessionFactory, open_case: OpenCase) -> str:
    number = await open_case()
    async with UnitOfWork(sessions) as uow:
        case = await uow.session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        case.closed_at = datetime.now(UTC)
        await schedule.follow_signal(uow.session, number, CLOSE_CASE_SIGNAL, case.closed_at)
        await holds.place(uow.session, number, "litigation hold", "records@agency.example.gov")
        await holds.lift(uow.session, number, "litigation over", "records@agency.example.gov")
        await uow.commit()
    return number


async def test_a_retried_activity_answers_the_same_certificate(
    session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await closed_with_a_lifted_hold(session_factory, open_case)
    activities = RetentionActivities(session_factory)
    request = IssueDeletionCertificate(control_number=number, manifests=MANIFESTS)

    first = await activities.issue_deletion_certificate(request)
    again = await activities.issue_deletion_certificate(request)

    assert not first.already_issued
    assert again.already_issued
    assert again.certificate_id == first.certificate_id
    async with session_factory() as session:
        [certificate] = (
            await session.scalars(
                select(DeletionCertificate).where(DeletionCertificate.control_number == number)
            )
        ).all()
        events = await session.scalar(
            select(func.count())
            .select_from(OutboxRecord)
            .where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == CASE_DELETION_CERTIFIED_V1,
            )
        )
        entries = list(
            await session.scalars(
                select(TimelineEntry.data)
                .join(Case, Case.id == TimelineEntry.case_id)
                .where(Case.control_number == number, TimelineEntry.kind == "deletion_certified")
            )
        )
        projected = await schedule.schedule_for(session, number)
    assert certificate.id == first.certificate_id
    assert certificate.manifests == MANIFESTS
    assert [(h["reason"], h["lift_reason"]) for h in certificate.holds] == [
        ("litigation hold", "litigation over")
    ]
    assert projected is not None
    assert (projected.state, projected.certificate_id) == (CERTIFIED, certificate.id)
    assert certificate.due_at == projected.due_at
    assert events == 1
    assert entries == [{"certificate_id": certificate.id}]


async def test_a_certificate_for_a_case_no_longer_on_file_is_still_issued(
    session_factory: SessionFactory,
) -> None:
    """The archive may have removed the case row; the certificate does not need it."""
    number = "OMB-GONE-0000-0001"
    result = await RetentionActivities(session_factory).issue_deletion_certificate(
        IssueDeletionCertificate(control_number=number, manifests={"cases": {"cases": 1}})
    )

    async with session_factory() as session:
        certificate = await session.get(DeletionCertificate, result.certificate_id)
    assert certificate is not None
    assert (certificate.control_number, certificate.due_at, certificate.holds) == (
        number,
        None,
        [],
    )
