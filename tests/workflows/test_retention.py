"""Retention on the time-skipping test server, the cases activities mocked by name.

Each test gets its own test server, moved to a known closure date, so the five-year due date
can be checked against the calendar by hand.
"""

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistory,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from ombuds_shared.contracts import CASES_TASK_QUEUE
from ombuds_shared.retention_contracts import (
    ARCHIVE_CASE_ACTIVITY,
    CANCEL_RETENTION_SIGNAL,
    ISSUE_DELETION_CERTIFICATE_ACTIVITY,
    LIFT_HOLD_SIGNAL,
    PLACE_HOLD_SIGNAL,
    RETENTION_STATE_QUERY,
    STORE_CLEARED_SIGNAL,
    ArchiveCase,
    ArchiveResult,
    CancelRetention,
    CertificateResult,
    IssueDeletionCertificate,
    LiftHold,
    PlaceHold,
    RetentionInput,
    RetentionState,
    StoreCleared,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention, add_years

HISTORIES = Path(__file__).parent / "histories" / "retention"
RECORD_TO = HISTORIES if os.environ.get("OMBUDS_RECORD_HISTORIES") == "1" else None
CLOSED_AT = datetime(2031, 3, 3, 15, tzinfo=UTC)
DUE_AT = datetime(2036, 3, 3, 15, tzinfo=UTC)
OTHER_SERVICES = ("intake", "notifications", "referrals")
CONTROL_NUMBER = "OMB-RETEN-TION1-A"


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


@dataclass
class FakeCases:
    """The cases activities: when archive ran (server time) and every certificate asked for."""

    archived_at: list[datetime] = field(default_factory=list)
    certificates: list[IssueDeletionCertificate] = field(default_factory=list)

    @activity.defn(name=ARCHIVE_CASE_ACTIVITY)
    async def archive(self, request: ArchiveCase) -> ArchiveResult:
        self.archived_at.append(activity.info().current_attempt_scheduled_time)
        return ArchiveResult(services=list(OTHER_SERVICES), manifest={"cases.cases": 1})

    @activity.defn(name=ISSUE_DELETION_CERTIFICATE_ACTIVITY)
    async def certify(self, request: IssueDeletionCertificate) -> CertificateResult:
        self.certificates.append(request)
        return CertificateResult(certificate_id="cert-1", already_issued=False)


def minutes(moments: list[datetime]) -> list[datetime]:
    """Server times to the minute: a task takes a few milliseconds of (skipped) time."""
    return [moment.replace(second=0, microsecond=0) for moment in moments]


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def move_clock_to(env: WorkflowEnvironment, moment: datetime) -> None:
    await env.sleep(moment - await env.get_current_time())


Handle = WorkflowHandle[Retention, RetentionState]
Scenario = Callable[[Handle], Awaitable[None]]


async def status_of(handle: Handle) -> RetentionState:
    state: RetentionState = await handle.query(RETENTION_STATE_QUERY, result_type=RetentionState)
    return state


async def confirm_every_store(handle: Handle, fakes: FakeCases) -> None:
    await until(lambda: len(fakes.archived_at) == 1)
    for service in OTHER_SERVICES:
        await handle.signal(
            STORE_CLEARED_SIGNAL, StoreCleared(service=service, manifest={f"{service}.rows": 2})
        )


async def run_retention(
    env: WorkflowEnvironment,
    fakes: FakeCases,
    scenario: Scenario,
    history_name: str | None = None,
) -> RetentionState:
    client: Client = env.client
    workflow_queue = f"wf-{uuid.uuid4()}"
    await move_clock_to(env, CLOSED_AT)
    async with (
        Worker(client, task_queue=workflow_queue, workflows=[Retention]),
        Worker(client, task_queue=CASES_TASK_QUEUE, activities=[fakes.archive, fakes.certify]),
    ):
        handle = await client.start_workflow(
            Retention.run,
            RetentionInput(control_number=CONTROL_NUMBER, closed_at=CLOSED_AT),
            id=retention_workflow_id(CONTROL_NUMBER),
            task_queue=workflow_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        await scenario(handle)
        result = await handle.result()
        assert await status_of(handle) == result
        history = await handle.fetch_history()
        assert len(history.events) < 100, "keep a retention history small"
        if RECORD_TO is not None and history_name is not None:
            target = RECORD_TO / f"retention_{history_name}.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        return result


def test_five_calendar_years_and_leap_days() -> None:
    assert add_years(CLOSED_AT, 5) == DUE_AT
    assert add_years(datetime(2032, 2, 29, tzinfo=UTC), 5) == datetime(2037, 2, 28, tzinfo=UTC)


async def test_purges_exactly_at_five_years(env: WorkflowEnvironment) -> None:
    fakes = FakeCases()

    async def scenario(handle: Handle) -> None:
        await move_clock_to(env, DUE_AT - timedelta(days=1))
        state = await status_of(handle)
        assert (state.status, state.due_at) == ("waiting", DUE_AT)
        assert fakes.archived_at == [], "nothing is purged a day before five years"
        await move_clock_to(env, DUE_AT + timedelta(hours=1))
        await confirm_every_store(handle, fakes)

    result = await run_retention(env, fakes, scenario, "certified")
    assert minutes(fakes.archived_at) == [DUE_AT]
    assert result.status == "certified"
    assert result.certificate_id == "cert-1"
    # The certificate lists every store, the cases service's own included.
    assert len(fakes.certificates) == 1
    assert fakes.certificates[0].manifests == {
        "cases": {"cases.cases": 1},
        "intake": {"intake.rows": 2},
        "notifications": {"notifications.rows": 2},
        "referrals": {"referrals.rows": 2},
    }


async def test_certificate_waits_for_every_store(env: WorkflowEnvironment) -> None:
    fakes = FakeCases()

    async def scenario(handle: Handle) -> None:
        await move_clock_to(env, DUE_AT + timedelta(hours=1))
        await until(lambda: len(fakes.archived_at) == 1)
        for service in OTHER_SERVICES[:2]:
            await handle.signal(STORE_CLEARED_SIGNAL, StoreCleared(service=service, manifest={}))
        await move_clock_to(env, DUE_AT + timedelta(days=30))
        state = await status_of(handle)
        assert state.status == "awaiting_confirmations"
        assert sorted(state.cleared) == ["cases", "intake", "notifications"]
        assert fakes.certificates == [], "no certificate until referrals has confirmed"
        await handle.signal(STORE_CLEARED_SIGNAL, StoreCleared(service="referrals", manifest={}))

    result = await run_retention(env, fakes, scenario)
    assert result.status == "certified"
    assert len(fakes.certificates) == 1


async def test_hold_in_year_four_delays_and_lifting_after_due_purges_at_once(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeCases()
    held_at = add_years(CLOSED_AT, 4)
    lifted_at = DUE_AT + timedelta(days=200)

    async def scenario(handle: Handle) -> None:
        await move_clock_to(env, held_at)
        await handle.signal(PLACE_HOLD_SIGNAL, PlaceHold(reason="litigation 26-cv-1", by="rec1"))
        await move_clock_to(env, lifted_at)
        state = await status_of(handle)
        assert state.status == "held"
        assert fakes.archived_at == [], "a standing hold stops the purge past the due date"
        await handle.signal(LIFT_HOLD_SIGNAL, LiftHold(by="rec2"))
        await confirm_every_store(handle, fakes)

    result = await run_retention(env, fakes, scenario, "held")
    assert len(fakes.archived_at) == 1
    assert lifted_at <= fakes.archived_at[0] < lifted_at + timedelta(minutes=1)
    [hold] = result.holds
    assert (hold.reason, hold.placed_by, hold.lifted_by) == ("litigation 26-cv-1", "rec1", "rec2")
    assert hold.lifted_at is not None
    assert minutes([hold.placed_at, hold.lifted_at]) == [held_at, lifted_at]


async def test_hold_lifted_before_due_resumes_the_sleep(env: WorkflowEnvironment) -> None:
    fakes = FakeCases()

    async def scenario(handle: Handle) -> None:
        await move_clock_to(env, add_years(CLOSED_AT, 4))
        await handle.signal(PLACE_HOLD_SIGNAL, PlaceHold(reason="audit", by="rec1"))
        await move_clock_to(env, add_years(CLOSED_AT, 4) + timedelta(days=100))
        assert (await status_of(handle)).status == "held"
        await handle.signal(LIFT_HOLD_SIGNAL, LiftHold(by="rec1"))
        await move_clock_to(env, DUE_AT - timedelta(days=1))
        assert (await status_of(handle)).status == "waiting"
        assert fakes.archived_at == []
        await move_clock_to(env, DUE_AT + timedelta(hours=1))
        await confirm_every_store(handle, fakes)

    result = await run_retention(env, fakes, scenario)
    assert minutes(fakes.archived_at) == [DUE_AT]
    assert result.status == "certified"


async def test_reopening_cancels_and_a_new_closure_starts_again(env: WorkflowEnvironment) -> None:
    fakes = FakeCases()

    async def scenario(handle: Handle) -> None:
        await move_clock_to(env, add_years(CLOSED_AT, 2))
        await handle.signal(CANCEL_RETENTION_SIGNAL, CancelRetention())

    result = await run_retention(env, fakes, scenario, "cancelled")
    assert result.status == "cancelled"
    await move_clock_to(env, DUE_AT + timedelta(days=10))
    assert fakes.archived_at == [], "a reopened case is never purged by the old run"
    # The same id may run again after a reopen and a new closure.
    handle = await env.client.start_workflow(
        Retention.run,
        RetentionInput(control_number=CONTROL_NUMBER, closed_at=DUE_AT),
        id=retention_workflow_id(CONTROL_NUMBER),
        task_queue=f"wf-{uuid.uuid4()}",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING


@pytest.mark.parametrize("name", ["certified", "held", "cancelled"])
async def test_stored_histories_replay(name: str) -> None:
    """Histories recorded from this workflow; a non-deterministic change fails here."""
    path = HISTORIES / f"retention_{name}.json"
    history = WorkflowHistory.from_json(f"retention-{name}", path.read_text())
    replayer = Replayer(workflows=[Retention], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
