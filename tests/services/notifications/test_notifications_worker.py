"""The worker on a real (time-skipping) Temporal server: in process, and as `python -m`."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.worker import build_worker
from ombuds_shared.contracts import (
    NOTIFICATIONS_TASK_QUEUE,
    PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    AcknowledgementResult,
    LetterResult,
    PrepareAcknowledgementLetter,
    SendAcknowledgement,
)
from ombuds_shared.control_numbers import new_control_number

MakeRequest = Callable[..., SendAcknowledgement]


class AcknowledgeInput(SendAcknowledgement):
    task_queue: str


@workflow.defn(sandboxed=False)
class AcknowledgeOnce:
    """Stands in for the case workflow: calls the activity by name on its queue."""

    @workflow.run
    async def run(self, request: AcknowledgeInput) -> AcknowledgementResult:
        result: AcknowledgementResult = await workflow.execute_activity(
            SEND_ACKNOWLEDGEMENT_ACTIVITY,
            SendAcknowledgement.model_validate(request.model_dump(exclude={"task_queue"})),
            task_queue=request.task_queue,
            start_to_close_timeout=timedelta(seconds=30),
            result_type=AcknowledgementResult,
        )
        return result


class LetterInput(PrepareAcknowledgementLetter):
    task_queue: str


@workflow.defn(sandboxed=False)
class PrepareLetterOnce:
    """Stands in for the case workflow on a mail submission: asks for the letter by name."""

    @workflow.run
    async def run(self, request: LetterInput) -> LetterResult:
        result: LetterResult = await workflow.execute_activity(
            PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
            PrepareAcknowledgementLetter.model_validate(request.model_dump(exclude={"task_queue"})),
            task_queue=request.task_queue,
            start_to_close_timeout=timedelta(seconds=30),
            result_type=LetterResult,
        )
        return result


@pytest.fixture(scope="module")
async def temporal() -> AsyncIterator[tuple[WorkflowEnvironment, int]]:
    port = free_port()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        port=port,
        test_server_existing_path=shutil.which("temporal-test-server"),
    )
    try:
        yield env, port
    finally:
        await env.shutdown()


async def acknowledge(
    client: Client, request: SendAcknowledgement, task_queue: str
) -> AcknowledgementResult:
    workflows_queue = f"test-workflows-{uuid.uuid4()}"
    async with Worker(client, task_queue=workflows_queue, workflows=[AcknowledgeOnce]):
        return await client.execute_workflow(
            AcknowledgeOnce.run,
            AcknowledgeInput(**request.model_dump(), task_queue=task_queue),
            id=f"ack-{uuid.uuid4()}",
            task_queue=workflows_queue,
        )


async def test_the_worker_runs_the_activity(
    temporal: tuple[WorkflowEnvironment, int],
    activities: NotificationActivities,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    env, _ = temporal
    request = make_request(language="es")
    task_queue = f"notifications-{uuid.uuid4()}"

    async with build_worker(env.client, activities, task_queue=task_queue):
        first = await acknowledge(env.client, request, task_queue)
        again = await acknowledge(env.client, request, task_queue)

    assert (first.already_sent, again.already_sent) == (False, True)
    assert again.message_id == first.message_id
    [mail] = read_messages(maildir)
    assert mail["X-Ombuds-Control-Number"] == request.control_number


async def test_the_worker_runs_the_letter_activity(
    temporal: tuple[WorkflowEnvironment, int], activities: NotificationActivities
) -> None:
    env, _ = temporal
    task_queue = f"notifications-{uuid.uuid4()}"
    request = LetterInput(
        control_number=new_control_number(),
        kind="tip",
        channel="fax",
        recipient_name="Ana Pérez",
        address_lines=["1 Main St", "Springfield"],
        task_queue=task_queue,
    )

    async def prepare() -> LetterResult:
        workflows_queue = f"test-workflows-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=workflows_queue, workflows=[PrepareLetterOnce]):
            return await env.client.execute_workflow(
                PrepareLetterOnce.run,
                request,
                id=f"letter-{uuid.uuid4()}",
                task_queue=workflows_queue,
            )

    async with build_worker(env.client, activities, task_queue=task_queue):
        first = await prepare()
        again = await prepare()

    assert (first.already_prepared, again.already_prepared) == (False, True)
    assert again.message_id == first.message_id


def _worker_process(settings: Settings, temporal_address: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NOTIFICATIONS_DATABASE_URL": settings.database_url,
        "NOTIFICATIONS_SMTP_URL": settings.smtp_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "KAFKA_BOOTSTRAP_SERVERS": settings.platform.kafka_bootstrap_servers,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ombuds_notifications.worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.to_thread(process.communicate, timeout=20)
    return process.returncode, output.decode(errors="replace")


async def test_the_worker_process_serves_the_queue_and_stops_on_sigterm(
    temporal: tuple[WorkflowEnvironment, int],
    settings: Settings,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    env, port = temporal
    request = make_request()
    process = _worker_process(settings, f"127.0.0.1:{port}")
    try:
        result = await asyncio.wait_for(
            acknowledge(env.client, request, NOTIFICATIONS_TASK_QUEUE), timeout=60
        )
    finally:
        returncode, output = await _stop(process)

    assert result.already_sent is False
    assert [m["X-Ombuds-Control-Number"] for m in read_messages(maildir)] == [
        request.control_number
    ]
    assert returncode == 0, output
    assert "notifications worker stopped" in output


def _read_until(process: subprocess.Popen[bytes], text: str) -> str:
    assert process.stdout is not None
    seen = []
    for line in iter(process.stdout.readline, b""):
        seen.append(line.decode(errors="replace"))
        if text in seen[-1]:
            break
    return "".join(seen)


async def test_the_worker_process_stops_while_waiting_for_temporal(settings: Settings) -> None:
    process = _worker_process(settings, settings.platform.temporal_address)
    try:
        seen = await asyncio.wait_for(asyncio.to_thread(_read_until, process, "is not up"), 30)
    finally:
        returncode, output = await _stop(process)

    assert "is not up" in seen
    assert returncode == 0, seen + output
