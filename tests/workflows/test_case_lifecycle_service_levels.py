"""CaseLifecycle service levels (patch "service-levels-v1") on the time-skipping test server.

Each test gets its own test server moved forward to a known date, so the business-day
deadlines can be checked against the calendar by hand: Wednesday 26 November 2031, the day
before Thanksgiving, 15:00 UTC.
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
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    CLOSE_CASE_SIGNAL,
    INFORMATION_RECEIVED_SIGNAL,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    RECORD_INFORMATION_OVERDUE_ACTIVITY,
    RECORD_SLA_BREACH_ACTIVITY,
    REOPEN_CASE_SIGNAL,
    REQUEST_INFORMATION_SIGNAL,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    SEND_STAFF_ESCALATION_ACTIVITY,
    SERVICE_LEVELS_QUERY,
    STATUS_CHANGED_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    AcknowledgementResult,
    CaseLifecycleInput,
    ClockLevel,
    CloseCase,
    InformationReceived,
    LifecycleState,
    RecordCaseStatus,
    RecordInformationOverdue,
    RecordSlaBreach,
    ReopenCase,
    RequestInformation,
    SendAcknowledgement,
    SendStaffEscalation,
    ServiceLevels,
    StaffEscalationResult,
    StatusChanged,
    WithdrawCase,
)
from ombuds_workflows.case_lifecycle import CaseLifecycle

HISTORIES = Path(__file__).parent / "histories"
RECORD_TO = HISTORIES if os.environ.get("OMBUDS_RECORD_HISTORIES") == "1" else None
# The day before Thanksgiving 2031 (Thursday 27 November), 15:00 UTC.
WEDNESDAY = datetime(2031, 11, 26, 15, tzinfo=UTC)
SUPERVISOR = "supervisor@example.gov"

Handle = WorkflowHandle[CaseLifecycle, LifecycleState]


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


@dataclass
class FakeServices:
    """The activities of the cases and notifications services, recording every call."""

    statuses: list[RecordCaseStatus] = field(default_factory=list)
    breaches: list[RecordSlaBreach] = field(default_factory=list)
    overdue: list[RecordInformationOverdue] = field(default_factory=list)
    escalations: list[SendStaffEscalation] = field(default_factory=list)

    @activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
    async def send(self, request: SendAcknowledgement) -> AcknowledgementResult:
        return AcknowledgementResult(
            message_id="msg-1", already_sent=False, sent_at=datetime.now(UTC)
        )

    @activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
    async def record(self, request: RecordCaseStatus) -> bool:
        self.statuses.append(request)
        return True

    @activity.defn(name=RECORD_SLA_BREACH_ACTIVITY)
    async def breach(self, request: RecordSlaBreach) -> bool:
        self.breaches.append(request)
        return True

    @activity.defn(name=RECORD_INFORMATION_OVERDUE_ACTIVITY)
    async def information_overdue(self, request: RecordInformationOverdue) -> bool:
        self.overdue.append(request)
        return True

    @activity.defn(name=SEND_STAFF_ESCALATION_ACTIVITY)
    async def escalate(self, request: SendStaffEscalation) -> StaffEscalationResult:
        self.escalations.append(request)
        return StaffEscalationResult(message_id=f"esc-{request.step}", already_sent=False)


def case_input(**changes: object) -> CaseLifecycleInput:
    values: dict[str, object] = {
        "control_number": "OMB-TEST0-00000-0",
        "kind": "complaint",
        "category": "general",
        "channel": "web",
        "anonymous": False,
        "recipient_email": "ada@example.org",
        "recipient_name": "Ada Lovelace",
        "triage_business_days": 3,
        "response_business_days": 30,
        "supervisor_email": SUPERVISOR,
    }
    values.update(changes)
    return CaseLifecycleInput.model_validate(values)


def minute(moment: datetime | None) -> datetime | None:
    """To the minute: activities take a few real milliseconds before the clock skips."""
    return None if moment is None else moment.replace(second=0, microsecond=0)


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def overall(env: WorkflowEnvironment, handle: Handle) -> ServiceLevels:
    """The query as of the test server's clock (the workflow's last task may be days old)."""
    now = await env.get_current_time()
    answer: ServiceLevels = await handle.query(SERVICE_LEVELS_QUERY, now, result_type=ServiceLevels)
    return answer


async def levels(env: WorkflowEnvironment, handle: Handle) -> dict[str, ClockLevel]:
    return {clock.clock: clock for clock in (await overall(env, handle)).clocks}


Scenario = Callable[[WorkflowEnvironment, Handle], Awaitable[None]]


async def run_case(
    env: WorkflowEnvironment,
    fakes: FakeServices,
    scenario: Scenario,
    request: CaseLifecycleInput | None = None,
    record_as: str | None = None,
) -> LifecycleState:
    """Start a case on WEDNESDAY, play `scenario`, then withdraw it and wait for the end."""
    client = env.client
    workflow_queue = f"wf-{uuid.uuid4()}"
    await env.sleep(WEDNESDAY - await env.get_current_time())
    async with (
        Worker(client, task_queue=workflow_queue, workflows=[CaseLifecycle]),
        Worker(
            client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[fakes.send, fakes.escalate]
        ),
        Worker(
            client,
            task_queue=CASES_TASK_QUEUE,
            activities=[fakes.record, fakes.breach, fakes.information_overdue],
        ),
    ):
        handle: Handle = await client.start_workflow(
            CaseLifecycle.run,
            request or case_input(),
            id=f"case-{uuid.uuid4()}",
            task_queue=workflow_queue,
        )
        await until(lambda: len(fakes.statuses) >= 1)
        await scenario(env, handle)
        await handle.signal(
            WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="done", already_recorded=True)
        )
        result = await handle.result()
        history = await handle.fetch_history()
        assert len(history.events) < 200, "keep a case's history small"
        if RECORD_TO is not None and record_as is not None:
            target = RECORD_TO / f"case_lifecycle_{record_as}.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        return result


async def test_deadlines_skip_the_weekend_and_thanksgiving(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    seen: dict[str, ClockLevel] = {}

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        seen.update(await levels(env, handle))

    await run_case(env, fakes, scenario)
    # Thursday is Thanksgiving, then Friday, the weekend, Monday, Tuesday.
    assert minute(seen["triage"].due_at) == datetime(2031, 12, 2, 15, tzinfo=UTC)
    # 30 business days, skipping Thanksgiving, Christmas and New Year's Day.
    assert minute(seen["response"].due_at) == datetime(2032, 1, 12, 15, tzinfo=UTC)
    assert (seen["triage"].state, seen["triage"].remaining_business_days) == ("on_track", 3)
    assert seen["response"].state == "on_track"


async def test_triage_met_in_time_stops_its_clock(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    seen: dict[str, ClockLevel] = {}

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        await env.sleep(timedelta(days=1))
        await handle.signal(STATUS_CHANGED_SIGNAL, StatusChanged(to_status="assigned"))
        # Past the triage due date: an assigned case's triage clock has stopped.
        await env.sleep(timedelta(days=10))
        seen.update(await levels(env, handle))

    result = await run_case(env, fakes, scenario)
    assert seen["triage"].state == "met"
    assert minute(seen["triage"].stopped_at) == datetime(2031, 11, 27, 15, tzinfo=UTC)
    assert seen["response"].state == "on_track"
    assert fakes.breaches == []
    assert fakes.escalations == []
    assert result.status == "withdrawn"


async def test_triage_breached_records_once_and_notifies_the_supervisor_once(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    states: list[tuple[str, str]] = []

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        # Monday 1 December: one business day left.
        await env.sleep(timedelta(days=5))
        clocks = await levels(env, handle)
        states.append((clocks["triage"].state, (await overall(env, handle)).state))
        await env.sleep(timedelta(days=3))
        await until(lambda: len(fakes.escalations) == 1)
        clocks = await levels(env, handle)
        states.append((clocks["triage"].state, (await overall(env, handle)).state))
        # Assigning it late stops the clock; it stays breached on record, no longer overdue.
        await handle.signal(STATUS_CHANGED_SIGNAL, StatusChanged(to_status="assigned"))
        await env.sleep(timedelta(days=1))
        clocks = await levels(env, handle)
        states.append((clocks["triage"].state, (await overall(env, handle)).state))

    await run_case(env, fakes, scenario, record_as="service_levels_breached")
    assert states == [
        ("due_soon", "on_track"),
        ("breached", "breached"),
        ("breached", "on_track"),
    ]
    assert [(b.clock, b.key, minute(b.due_at)) for b in fakes.breaches] == [
        ("triage", "triage", datetime(2031, 12, 2, 15, tzinfo=UTC))
    ]
    assert [(e.step, e.supervisor_email) for e in fakes.escalations] == [("triage-sla", SUPERVISOR)]
    assert fakes.escalations[0].overdue == "triage (SLA 3 business days)"


async def test_no_supervisor_no_email_but_the_breach_is_recorded(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        await env.sleep(timedelta(days=8))
        await until(lambda: len(fakes.breaches) == 1)

    await run_case(env, fakes, scenario, case_input(supervisor_email=None))
    assert [b.key for b in fakes.breaches] == ["triage"]
    assert fakes.escalations == []


async def test_a_pause_for_submitter_information_moves_the_deadlines(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    seen: list[ServiceLevels] = []

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        due = WEDNESDAY + timedelta(days=20)
        await handle.signal(
            REQUEST_INFORMATION_SIGNAL, RequestInformation(request_id="r1", due_at=due)
        )
        # Past the triage due date while paused: no breach.
        await env.sleep(timedelta(days=7))
        seen.append(await overall(env, handle))
        # Answered on Wednesday 3 December: paused Fri, Mon, Tue, Wed = 4 business days.
        await handle.signal(INFORMATION_RECEIVED_SIGNAL, InformationReceived(request_id="r1"))
        await env.sleep(timedelta(hours=1))
        seen.append(await overall(env, handle))

    await run_case(env, fakes, scenario)
    paused, resumed = seen
    assert (paused.state, paused.paused, paused.open_information_requests) == (
        "paused",
        True,
        ["r1"],
    )
    assert {c.state for c in paused.clocks} == {"paused"}
    assert resumed.paused is False
    clocks = {c.clock: c for c in resumed.clocks}
    # Tuesday 2 December + 4 business days = Monday 8 December.
    assert minute(clocks["triage"].due_at) == datetime(2031, 12, 8, 15, tzinfo=UTC)
    # 12 January 2032 + 4 business days = 16 January.
    assert minute(clocks["response"].due_at) == datetime(2032, 1, 16, 15, tzinfo=UTC)
    assert fakes.breaches == []


async def test_the_request_s_own_deadline_passing_is_recorded_and_ends_the_pause(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    seen: list[ServiceLevels] = []

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        # Due Friday 28 November 15:00; nobody answers.
        due = WEDNESDAY + timedelta(days=2)
        await handle.signal(
            REQUEST_INFORMATION_SIGNAL, RequestInformation(request_id="r9", due_at=due)
        )
        await env.sleep(timedelta(days=2, hours=1))
        await until(lambda: len(fakes.overdue) == 1)
        seen.append(await overall(env, handle))
        # A late reply to a request already given up on changes nothing.
        await handle.signal(INFORMATION_RECEIVED_SIGNAL, InformationReceived(request_id="r9"))

    await run_case(env, fakes, scenario)
    assert [(o.request_id, minute(o.due_at)) for o in fakes.overdue] == [
        ("r9", datetime(2031, 11, 28, 15, tzinfo=UTC))
    ]
    clocks = {c.clock: c for c in seen[0].clocks}
    assert seen[0].paused is False
    # Paused Thursday (a holiday) and Friday: one business day; Tuesday 2 -> Wednesday 3.
    assert minute(clocks["triage"].due_at) == datetime(2031, 12, 3, 15, tzinfo=UTC)


async def test_a_status_signal_during_the_triage_recording_wins(
    env: WorkflowEnvironment,
) -> None:
    """The signal is later than the workflow's triage step: it must not be overwritten."""
    fakes = FakeServices()
    release = asyncio.Event()
    original = fakes.record

    @activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
    async def slow_record(request: RecordCaseStatus) -> bool:
        fakes.statuses.append(request)
        await release.wait()
        return True

    fakes.record = slow_record  # type: ignore[method-assign]
    states: list[str] = []

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        await handle.signal(STATUS_CHANGED_SIGNAL, StatusChanged(to_status="assigned"))
        release.set()
        await env.sleep(timedelta(hours=1))
        states.append((await overall(env, handle)).status)
        states.append((await levels(env, handle))["triage"].state)

    await run_case(env, fakes, scenario)
    assert original is not fakes.record
    assert states == ["assigned", "met"]


async def test_reopen_starts_a_new_cycle_of_clocks(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()

    async def scenario(env: WorkflowEnvironment, handle: Handle) -> None:
        await handle.signal(CLOSE_CASE_SIGNAL, CloseCase(reason="answered", already_recorded=True))
        await env.sleep(timedelta(days=40))
        assert {c.state for c in (await overall(env, handle)).clocks} == {"met"}
        await handle.signal(REOPEN_CASE_SIGNAL, ReopenCase(reason="again", already_recorded=True))
        await env.sleep(timedelta(days=10))
        await until(lambda: len(fakes.breaches) == 1)

    await run_case(env, fakes, scenario)
    assert [b.key for b in fakes.breaches] == ["triage-2"]
    assert [e.step for e in fakes.escalations] == ["triage-2-sla"]
