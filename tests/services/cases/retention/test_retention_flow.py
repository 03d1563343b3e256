"""Close, a legal hold in year four, lift it in year six: the purge waits for the lift, then
the real certificate activity issues the certificate (time-skipping server; the archive is a
fake that confirms the other services' stores by signal, as the archive step will)."""

import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.case import closure
from ombuds_cases.case.schemas import CloseCaseRequest
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.models import Case
from ombuds_cases.retention import holds, schedule
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.retention.models import CERTIFIED, HELD, WAITING, DeletionCertificate
from ombuds_shared.contracts import CASES_TASK_QUEUE, WORKFLOWS_TASK_QUEUE
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import (
    ARCHIVE_CASE_ACTIVITY,
    RETENTION_STATE_QUERY,
    STORE_CLEARED_SIGNAL,
    ArchiveCase,
    ArchiveResult,
    RetentionState,
    StoreCleared,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]
OFFICER = "records@agency.example.gov"
YEAR = timedelta(days=365)


class TemporalUp:
    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return self._client


class FakeArchive:
    """Purges nothing; confirms intake's store by signal and notes when it was scheduled."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.scheduled: list[datetime] = []

    @activity.defn(name=ARCHIVE_CASE_ACTIVITY)
    async def archive_case(self, request: ArchiveCase) -> ArchiveResult:
        self.scheduled.append(activity.info().scheduled_time)
        handle = self._client.get_workflow_handle(retention_workflow_id(request.control_number))
        await handle.signal(
            STORE_CLEARED_SIGNAL, StoreCleared(service="intake", manifest={"submissions": 1})
        )
        return ArchiveResult(services=["intake"], manifest={"cases": 1})


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


async def test_a_hold_in_year_four_delays_the_purge_until_it_is_lifted(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    sender = SignalSender(session_factory, TemporalUp(env.client))
    archive = FakeArchive(env.client)
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(
            update(Case).where(Case.control_number == number).values(workflow_started=True)
        )
        request = CloseCaseRequest(reason="answered", disposition="resolved_with_explanation")
        await closure.close(uow.session, number, request, "officer")
        await uow.commit()

    async with (
        Worker(env.client, task_queue=WORKFLOWS_TASK_QUEUE, workflows=[Retention]),
        Worker(
            env.client,
            task_queue=CASES_TASK_QUEUE,
            activities=[
                archive.archive_case,
                RetentionActivities(session_factory).issue_deletion_certificate,
            ],
        ),
    ):
        assert await sender.flush() == 1
        async with session_factory() as session:
            projected = await schedule.schedule_for(session, number)
        assert projected is not None
        assert projected.state == WAITING
        handle = env.client.get_workflow_handle(retention_workflow_id(number))
        state = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)
        assert state.due_at == projected.due_at

        await env.sleep(4 * YEAR)
        async with UnitOfWork(session_factory) as uow:
            await holds.place(uow.session, number, "litigation: Doe v. Agency", OFFICER)
            await uow.commit()
        assert await sender.flush() == 1
        await env.sleep(2 * YEAR)  # past the due date, still held

        state = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)
        assert state.status == HELD
        assert archive.scheduled == []
        assert [hold.placed_by for hold in state.holds] == [OFFICER]

        async with UnitOfWork(session_factory) as uow:
            await holds.lift(uow.session, number, "settled", OFFICER)
            await uow.commit()
        assert await sender.flush() == 1
        result = RetentionState.model_validate(await handle.result())

    assert result.status == CERTIFIED
    assert result.cleared == {"cases": {"cases": 1}, "intake": {"submissions": 1}}
    assert state.due_at is not None
    [archived_at] = archive.scheduled
    assert archived_at > state.due_at + 300 * timedelta(days=1), "purged only after the lift"
    async with session_factory() as session:
        certificate = await session.scalar(
            select(DeletionCertificate).where(DeletionCertificate.control_number == number)
        )
        projected = await schedule.schedule_for(session, number)
    assert certificate is not None
    assert certificate.id == result.certificate_id
    assert certificate.manifests == result.cleared
    assert [(h["reason"], h["lift_reason"]) for h in certificate.holds] == [
        ("litigation: Doe v. Agency", "settled")
    ]
    assert projected is not None
    assert (projected.state, projected.certificate_id) == (CERTIFIED, certificate.id)
