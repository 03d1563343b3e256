"""`GET /api/v1/cases/{n}/service-levels`: the running workflow's clocks; `unknown` when the
workflow is gone; 503 when the workflow engine does not answer."""

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    WITHDRAW_CASE_SIGNAL,
    AcknowledgementResult,
    CaseLifecycleInput,
    RecordCaseStatus,
    SendAcknowledgement,
    WithdrawCase,
    case_workflow_id,
)
from ombuds_shared.control_numbers import new_control_number
from ombuds_workflows.case_lifecycle import CaseLifecycle

from ..conftest import STAFF, OpenCase, unreachable_platform


class TemporalUp:
    def __init__(self, client: Client) -> None:
        self.client = client


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


@pytest.fixture
async def api(migrated_url: str, env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """The cases app whose Temporal connection is the test server's client."""
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=unreachable_platform()
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.temporal = TemporalUp(env.client)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cases", headers=STAFF
        ) as client:
            yield client


@activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
async def send(request: SendAcknowledgement) -> AcknowledgementResult:
    return AcknowledgementResult(message_id="m-1", already_sent=False, sent_at=datetime.now(UTC))


@activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
async def record(request: RecordCaseStatus) -> bool:
    return True


async def test_a_running_case_answers_its_clocks(
    api: httpx.AsyncClient, env: WorkflowEnvironment, open_case: OpenCase
) -> None:
    number = await open_case()
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
                channel="phone",
                anonymous=False,
                triage_business_days=3,
                response_business_days=15,
            ),
            id=case_workflow_id(number),
            task_queue=queue,
        )

        response = await api.get(f"/api/v1/cases/{number}/service-levels")

        await handle.signal(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="x", already_recorded=True))
        await handle.result()

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["control_number"], body["state"], body["paused"]) == (number, "on_track", False)
    clocks = {c["clock"]: c for c in body["clocks"]}
    assert (clocks["triage"]["business_days"], clocks["response"]["business_days"]) == (3, 15)
    assert clocks["triage"]["state"] in ("on_track", "due_soon")
    assert clocks["triage"]["remaining_seconds"] > 0


async def test_a_case_without_a_workflow_is_unknown(
    api: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()

    response = await api.get(f"/api/v1/cases/{number}/service-levels")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["clocks"]) == ("unknown", [])
    assert body["detail"] == "the case's workflow is not running"


async def test_temporal_unreachable_answers_503_not_a_crash(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()

    response = await client.get(f"/api/v1/cases/{number}/service-levels")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


async def test_an_unknown_case_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get(f"/api/v1/cases/{new_control_number()}/service-levels")
    assert response.status_code == 404
