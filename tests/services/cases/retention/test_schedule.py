"""The schedule projection as the signal sender keeps it, against the time-skipping server and
the real Retention workflow: the period setting reaches the run and the due date, and a hold
from before a reopening is told to the next closure's run."""

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.case import closure
from ombuds_cases.case.schemas import CloseCaseRequest, ReopenCaseRequest
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.config import Settings
from ombuds_cases.disclosures.retention import years_after
from ombuds_cases.models import Case
from ombuds_cases.retention import holds, schedule
from ombuds_cases.retention.models import CANCELLED, HELD, WAITING
from ombuds_shared.contracts import WORKFLOWS_TASK_QUEUE
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import (
    RETENTION_STATE_QUERY,
    RetentionInput,
    RetentionState,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]
CLOSE = CloseCaseRequest(reason="answered", disposition="resolved_with_explanation")


class TemporalUp:
    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return self._client


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


async def close_case(sessions: SessionFactory, number: str) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            update(Case).where(Case.control_number == number).values(workflow_started=True)
        )
        await closure.close(uow.session, number, CLOSE, "officer")
        await uow.commit()


def test_the_period_is_read_from_cases_retention_years(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASES_RETENTION_YEARS", "7")
    assert Settings().retention_years == 7
    monkeypatch.setenv("CASES_RETENTION_YEARS", "0")
    with pytest.raises(ValueError, match="retention_years"):
        Settings()


async def test_the_configured_period_reaches_the_run_and_the_projection(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    await close_case(session_factory, number)

    assert await SignalSender(session_factory, TemporalUp(env.client), retention_years=7).flush()

    handle = env.client.get_workflow_handle(retention_workflow_id(number))
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [payload] = started.input.payloads
    request = RetentionInput.model_validate_json(payload.data)
    async with session_factory() as session:
        row = await schedule.schedule_for(session, number)
    assert request.period_years == 7
    assert row is not None
    assert (row.state, row.period_years) == (WAITING, 7)
    assert row.due_at == years_after(request.closed_at, 7)


async def test_a_hold_standing_from_before_a_reopening_holds_the_next_run(
    env: WorkflowEnvironment, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    sender = SignalSender(session_factory, TemporalUp(env.client))
    handle = env.client.get_workflow_handle(retention_workflow_id(number))
    async with Worker(env.client, task_queue=WORKFLOWS_TASK_QUEUE, workflows=[Retention]):
        await close_case(session_factory, number)
        async with UnitOfWork(session_factory) as uow:
            await holds.place(uow.session, number, "litigation", "records@agency.example.gov")
            await uow.commit()
        assert await sender.flush() == 2
        state = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)
        assert state.status == HELD

        async with UnitOfWork(session_factory) as uow:
            await closure.reopen(uow.session, number, ReopenCaseRequest(reason="new facts"), "sv")
            await uow.commit()
        assert await sender.flush() == 1
        async with session_factory() as session:
            row = await schedule.schedule_for(session, number)
        assert row is not None
        assert row.state == CANCELLED
        await handle.result()  # the cancelled run has ended, so the next start may reuse the id

        await env.sleep(timedelta(days=3))
        await close_case(session_factory, number)
        assert await sender.flush() == 1  # the start; it stages the standing hold again
        assert await sender.flush() == 1  # the hold, to the new run
        state = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)

    assert state.status == HELD
    assert [hold.reason for hold in state.holds] == ["litigation"]
    async with session_factory() as session:
        row = await schedule.schedule_for(session, number)
    assert row is not None
    assert row.state == HELD
