"""The retention starter against the time-skipping server and the real Retention workflow."""

import asyncio
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.retention.starter import cancel_retention, start_retention
from ombuds_shared.retention_contracts import (
    RETENTION_STATE_QUERY,
    RetentionState,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention

CONTROL_NUMBER = "OMB-START-RETEN-1"
CLOSED_AT = datetime(2031, 3, 3, 15, tzinfo=UTC)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


async def wait_for_status(
    env: WorkflowEnvironment, status: WorkflowExecutionStatus, timeout: float = 20.0
) -> None:
    handle = env.client.get_workflow_handle(retention_workflow_id(CONTROL_NUMBER))
    deadline = time.monotonic() + timeout
    while (await handle.describe()).status != status:
        assert time.monotonic() < deadline, f"retention never reached {status}"
        await asyncio.sleep(0.05)


async def test_start_is_idempotent_cancel_ends_it_and_a_new_closure_starts_again(
    env: WorkflowEnvironment,
) -> None:
    queue = f"wf-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[Retention]):
        assert await start_retention(env.client, CONTROL_NUMBER, CLOSED_AT, task_queue=queue)
        assert not await start_retention(env.client, CONTROL_NUMBER, CLOSED_AT, task_queue=queue)
        handle = env.client.get_workflow_handle(retention_workflow_id(CONTROL_NUMBER))
        state: RetentionState = await handle.query(
            RETENTION_STATE_QUERY, result_type=RetentionState
        )
        assert state.due_at == datetime(2036, 3, 3, 15, tzinfo=UTC)

        assert await cancel_retention(env.client, CONTROL_NUMBER)
        await wait_for_status(env, WorkflowExecutionStatus.COMPLETED)
        assert not await cancel_retention(env.client, CONTROL_NUMBER), "nothing left to cancel"

        reclosed = datetime(2032, 1, 5, 15, tzinfo=UTC)
        assert await start_retention(env.client, CONTROL_NUMBER, reclosed, task_queue=queue)
        await wait_for_status(env, WorkflowExecutionStatus.RUNNING)
        state = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)
        assert state.due_at == datetime(2037, 1, 5, 15, tzinfo=UTC)
