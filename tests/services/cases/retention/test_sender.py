"""A withdrawal staged in the signal outbox starts the case's Retention once Temporal is up."""

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from ombuds_cases.case import closure
from ombuds_cases.case.records import PendingSignal
from ombuds_cases.case.schemas import WithdrawCaseRequest
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.models import Case
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import RetentionInput, retention_workflow_id

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]


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


async def test_a_withdrawal_starts_retention_from_the_moment_it_was_decided(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(
            update(Case).where(Case.control_number == number).values(workflow_started=True)
        )
        await closure.withdraw(
            uow.session, number, WithdrawCaseRequest(reason="caller withdrew"), "staff"
        )
        await uow.commit()

    assert await SignalSender(session_factory, TemporalUp(env.client)).flush() == 1

    async with session_factory() as session:
        staged = (
            await session.scalars(
                select(PendingSignal).where(PendingSignal.control_number == number)
            )
        ).one()
    handle = env.client.get_workflow_handle(retention_workflow_id(number))
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.workflow_type == "Retention"
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [payload] = started.input.payloads
    request = RetentionInput.model_validate_json(payload.data)
    assert request.control_number == number
    assert abs(request.closed_at - staged.created_at) < timedelta(seconds=1)
    assert request.period_years == 5
