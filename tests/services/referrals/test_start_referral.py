"""`start_referral`: through the case's CaseLifecycle (a child) while it runs, directly when it
no longer does; on the time-skipping server with the real workflows."""

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_referrals.models import DirectoryEntry, Referral
from ombuds_referrals.referral.workflows import start_referral
from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    AcknowledgementResult,
    CaseLifecycleInput,
    RecordCaseStatus,
    case_workflow_id,
    referral_workflow_id,
)
from ombuds_shared.control_numbers import new_control_number
from ombuds_workflows.case_lifecycle import CaseLifecycle
from ombuds_workflows.referral import Referral as ReferralWorkflow
from support.system import eventually

QUEUE = "wf-start-referral"


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


@activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
async def record(request: RecordCaseStatus) -> bool:
    return True


@activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
async def send(request: object) -> AcknowledgementResult:
    return AcknowledgementResult(message_id="m", already_sent=False, sent_at=datetime.now(UTC))


@pytest.fixture
async def client(env: WorkflowEnvironment) -> AsyncIterator[Client]:
    async with (
        Worker(env.client, task_queue=QUEUE, workflows=[CaseLifecycle, ReferralWorkflow]),
        Worker(env.client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[send]),
        Worker(env.client, task_queue=CASES_TASK_QUEUE, activities=[record]),
    ):
        yield env.client


def crcl() -> DirectoryEntry:
    return DirectoryEntry(
        id="crcl",
        kind="dhs_component",
        name="CRCL",
        postal_address="Washington, DC",
        kafka_enabled=True,
        acknowledgement_business_days=2,
        response_business_days=10,
    )


async def described_parent(handle: WorkflowHandle[object, object]) -> str | None:
    async def running() -> bool:
        try:
            await handle.describe()
        except Exception:
            return False
        return True

    await eventually(running, timeout=20)
    return (await handle.describe()).parent_id


async def test_a_running_case_starts_the_referral_as_its_child(client: Client) -> None:
    number = new_control_number()
    case = await client.start_workflow(
        CaseLifecycle.run,
        CaseLifecycleInput(
            control_number=number,
            kind="complaint",
            category="general",
            channel="phone",
            anonymous=False,
        ),
        id=case_workflow_id(number),
        task_queue=QUEUE,
    )
    referral = Referral(
        id=str(uuid.uuid4()),
        control_number=number,
        recipient_id="crcl",
        purpose="civil rights review",
        nature="complaint narrative and contact details",
    )

    how = await start_referral(client, referral, crcl(), task_queue=QUEUE)

    child = client.get_workflow_handle(referral_workflow_id(referral.id))
    assert how == "child"
    assert await described_parent(child) == case.id
    await child.terminate("test over")
    await case.terminate("test over")


async def test_without_a_case_workflow_the_referral_is_started_directly(client: Client) -> None:
    number = new_control_number()
    referral = Referral(
        id=str(uuid.uuid4()),
        control_number=number,
        recipient_id="crcl",
        purpose="civil rights review",
        nature="complaint narrative and contact details",
    )

    how = await start_referral(client, referral, crcl(), task_queue=QUEUE)
    again = await start_referral(client, referral, crcl(), task_queue=QUEUE)

    child = client.get_workflow_handle(referral_workflow_id(referral.id))
    assert (how, again) == ("direct", "direct")
    assert await described_parent(child) is None
    await child.terminate("test over")
