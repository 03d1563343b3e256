"""The signal outbox against a real (time-skipping) Temporal server and the real CaseLifecycle."""

import shutil
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.case import closure
from ombuds_cases.case.records import PendingSignal
from ombuds_cases.case.schemas import WithdrawCaseRequest
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.models import Case
from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    AcknowledgementResult,
    CaseLifecycleInput,
    RecordCaseStatus,
    SendAcknowledgement,
    case_workflow_id,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import UnavailableError
from ombuds_workflows.case_lifecycle import CaseLifecycle

from .conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]


class TemporalDown:
    @property
    def client(self) -> Client:
        raise UnavailableError("The workflow engine is not reachable yet.")


class TemporalUp:
    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return self._client


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


async def withdraw(session_factory: SessionFactory, number: str, started: bool = True) -> None:
    """Withdraw through the staff action (which stages the signal), as the API would."""
    async with UnitOfWork(session_factory) as uow:
        if started:
            await uow.session.execute(
                update(Case).where(Case.control_number == number).values(workflow_started=True)
            )
        await closure.withdraw(
            uow.session, number, WithdrawCaseRequest(reason="caller withdrew"), "staff"
        )
        await uow.commit()


async def outcomes(session_factory: SessionFactory, number: str) -> list[str | None]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(PendingSignal.outcome).where(PendingSignal.control_number == number)
        )
        return list(rows.all())


async def test_a_signal_decided_while_temporal_is_down_is_delivered_when_it_is_up(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    recorded: list[RecordCaseStatus] = []

    @activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
    async def send(request: SendAcknowledgement) -> AcknowledgementResult:
        return AcknowledgementResult(message_id="m-1", already_sent=False, sent_at=utcnow())

    @activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
    async def record(request: RecordCaseStatus) -> bool:
        recorded.append(request)
        return True

    queue = f"wf-{uuid.uuid4()}"
    async with (
        Worker(env.client, task_queue=queue, workflows=[CaseLifecycle]),
        Worker(env.client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[send]),
        Worker(env.client, task_queue=CASES_TASK_QUEUE, activities=[record]),
    ):
        handle = await env.client.start_workflow(
            CaseLifecycle.run,
            CaseLifecycleInput(
                control_number=number,
                kind="complaint",
                category="general",
                channel="web",
                anonymous=False,
                recipient_email="ana@example.org",
                recipient_name="Ana Pérez",
            ),
            id=case_workflow_id(number),
            task_queue=queue,
        )
        await withdraw(session_factory, number)

        assert await SignalSender(session_factory, TemporalDown()).flush() == 0
        assert await outcomes(session_factory, number) == [None]

        assert await SignalSender(session_factory, TemporalUp(env.client)).flush() == 1
        result = await handle.result()

    assert result.status == "withdrawn"
    # The cases service had already recorded the withdrawal: the workflow did not again.
    assert [(r.to_status, r.step) for r in recorded] == [("triage", "acknowledged")]
    assert await outcomes(session_factory, number) == ["delivered"]


async def test_a_signal_for_a_workflow_that_is_gone_is_given_up(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    await withdraw(session_factory, number)

    await SignalSender(session_factory, TemporalUp(env.client)).flush()

    assert await outcomes(session_factory, number) == ["workflow not running"]


async def test_a_signal_waits_for_its_workflow_to_be_started(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    await withdraw(session_factory, number, started=False)

    await SignalSender(session_factory, TemporalUp(env.client)).flush()

    assert await outcomes(session_factory, number) == [None]
