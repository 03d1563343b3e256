"""Referrals as children of CaseLifecycle (patch "referral-children-v1"), time-skipping server.

The child is only started, never awaited, and abandoned when the case's workflow ends: the
referral goes on after the case is withdrawn or its reopen window passes.
"""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import ParentClosePolicy
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    START_REFERRAL_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    AcknowledgementResult,
    CaseLifecycleInput,
    RecordCaseStatus,
    ReferralInput,
    WithdrawCase,
    referral_workflow_id,
)
from ombuds_workflows.case_lifecycle import CaseLifecycle
from ombuds_workflows.referral import Referral
from support.system import eventually

HISTORIES = Path(__file__).parent / "histories"
RECORD_TO = HISTORIES if os.environ.get("OMBUDS_RECORD_HISTORIES") == "1" else None


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


@activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
async def record(request: RecordCaseStatus) -> bool:
    return True


@activity.defn(name="notifications.send_acknowledgement")
async def send(request: object) -> AcknowledgementResult:
    return AcknowledgementResult(message_id="m", already_sent=False, sent_at=datetime.now(UTC))


def referral(control_number: str) -> ReferralInput:
    return ReferralInput(
        referral_id=str(uuid.uuid4()),
        control_number=control_number,
        recipient_id="crcl",
        channels=["kafka"],
        acknowledgement_business_days=2,
        response_business_days=10,
    )


async def test_a_referral_starts_as_an_abandoned_child_and_outlives_the_case(
    env: WorkflowEnvironment,
) -> None:
    client = env.client
    queue = f"wf-{uuid.uuid4()}"
    number = "OMB-TEST0-00000-0"
    async with (
        Worker(client, task_queue=queue, workflows=[CaseLifecycle, Referral]),
        Worker(client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[send]),
        Worker(client, task_queue=CASES_TASK_QUEUE, activities=[record]),
    ):
        case = await client.start_workflow(
            CaseLifecycle.run,
            CaseLifecycleInput(
                control_number=number,
                kind="complaint",
                category="general",
                channel="phone",
                anonymous=False,
            ),
            id=f"case-{uuid.uuid4()}",
            task_queue=queue,
        )
        request = referral(number)
        # Sent twice (a retried start in the referrals service): one child.
        await case.signal(START_REFERRAL_SIGNAL, request)
        await case.signal(START_REFERRAL_SIGNAL, request)
        child = client.get_workflow_handle(referral_workflow_id(request.referral_id))

        async def started() -> bool:
            try:
                await child.describe()
            except Exception:
                return False
            return True

        await eventually(started, timeout=20)
        await case.signal(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="x", already_recorded=True))
        assert (await case.result()).status == "withdrawn"

        described = await child.describe()
        history = await case.fetch_history()
        if RECORD_TO is not None:
            target = RECORD_TO / "case_lifecycle_referral_child.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        await child.terminate("test over")

    assert described.parent_id == case.id
    assert described.status == WorkflowExecutionStatus.RUNNING
    starts = [
        event.start_child_workflow_execution_initiated_event_attributes
        for event in history.events
        if event.HasField("start_child_workflow_execution_initiated_event_attributes")
    ]
    assert [s.workflow_id for s in starts] == [referral_workflow_id(request.referral_id)]
    assert starts[0].parent_close_policy == ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON
