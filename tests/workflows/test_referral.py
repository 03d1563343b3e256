"""Referral on the time-skipping test server, the referrals activities mocked by name.

Each test gets its own test server, moved forward to a known date, so the business-day
deadlines (weekends, Thanksgiving) can be checked against the calendar by hand.
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
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from ombuds_shared.contracts import (
    DELIVER_REFERRAL_ACTIVITY,
    NOTIFICATIONS_TASK_QUEUE,
    RECALL_REFERRAL_SIGNAL,
    RECORD_REFERRAL_STEP_ACTIVITY,
    REFERRAL_ACKNOWLEDGED_SIGNAL,
    REFERRAL_DISPOSITION_SIGNAL,
    REFERRAL_RESPONDED_SIGNAL,
    REFERRAL_SNAPSHOT_ACTIVITY,
    REFERRAL_STATE_QUERY,
    REFERRALS_TASK_QUEUE,
    SEND_REFERRAL_EMAIL_ACTIVITY,
    DeliverReferral,
    DeliveryResult,
    RecallReferral,
    RecordReferralStep,
    ReferralAcknowledged,
    ReferralDispositionReceived,
    ReferralEmailResult,
    ReferralInput,
    ReferralResponded,
    ReferralSnapshot,
    ReferralState,
    SendReferralEmail,
)
from ombuds_workflows.referral import Referral

# Beside, not among, the CaseLifecycle histories (whose test replays every file there).
HISTORIES = Path(__file__).parent / "histories" / "referral"
RECORD_TO = HISTORIES if os.environ.get("OMBUDS_RECORD_HISTORIES") == "1" else None
NOON = timedelta(hours=15)  # 15:00 UTC, office hours in Washington


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


@dataclass
class FakeReferrals:
    """The referrals activities: a row of flags per referral and every call, in order."""

    deliveries: list[DeliverReferral] = field(default_factory=list)
    steps: list[RecordReferralStep] = field(default_factory=list)
    acknowledged: bool = False
    responded: bool = False
    refuse_webhook: bool = False
    emails: list[SendReferralEmail] = field(default_factory=list)

    def snapshot(self, recorded: bool = False) -> ReferralSnapshot:
        return ReferralSnapshot(
            status="test",
            acknowledged=self.acknowledged,
            responded=self.responded,
            disposition_received=False,
            recalled=False,
            step_recorded=recorded,
        )

    @activity.defn(name=DELIVER_REFERRAL_ACTIVITY)
    async def deliver(self, request: DeliverReferral) -> DeliveryResult:
        self.deliveries.append(request)
        if self.refuse_webhook and request.channel == "webhook":
            raise ApplicationError("410 Gone", type="WebhookRefused", non_retryable=True)
        return DeliveryResult(channel=request.channel, already_delivered=False)

    @activity.defn(name=SEND_REFERRAL_EMAIL_ACTIVITY)
    async def send_email(self, request: SendReferralEmail) -> ReferralEmailResult:
        # The notifications service keeps one message per key; so does this fake.
        sent = any(e.idempotency_key == request.idempotency_key for e in self.emails)
        self.emails.append(request)
        return ReferralEmailResult(message_id=request.idempotency_key, already_sent=sent)

    @activity.defn(name=RECORD_REFERRAL_STEP_ACTIVITY)
    async def record_step(self, request: RecordReferralStep) -> ReferralSnapshot:
        over = self.acknowledged if request.phase == "acknowledgement" else self.responded
        if over:
            return self.snapshot(recorded=False)
        self.steps.append(request)
        return self.snapshot(recorded=True)

    @activity.defn(name=REFERRAL_SNAPSHOT_ACTIVITY)
    async def read(self, referral_id: str) -> ReferralSnapshot:
        return self.snapshot()

    def step_log(self) -> list[tuple[str, str, int, str]]:
        return [(s.phase, s.step, s.number, s.at.strftime("%a %Y-%m-%d %H:%M")) for s in self.steps]


def referral_input(ack_days: int = 2, response_days: int = 10) -> ReferralInput:
    return ReferralInput(
        referral_id=str(uuid.uuid4()),
        control_number="OMB-TEST0-00000-0",
        recipient_id="crcl",
        channels=["kafka", "webhook", "email"],
        acknowledgement_business_days=ack_days,
        response_business_days=response_days,
        reminder_interval_business_days=2,
    )


def minute(moment: datetime | None) -> datetime | None:
    """Deadlines to the minute: deliveries take a few real seconds before the clock skips."""
    return None if moment is None else moment.replace(second=0, microsecond=0)


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def move_clock_to(env: WorkflowEnvironment, moment: datetime) -> None:
    await env.sleep(moment - await env.get_current_time())


Scenario = Callable[[WorkflowHandle[Referral, ReferralState]], Awaitable[None]]


async def run_referral(
    env: WorkflowEnvironment,
    fakes: FakeReferrals,
    request: ReferralInput,
    start: datetime,
    scenario: Scenario,
    history_name: str | None = None,
) -> ReferralState:
    client: Client = env.client
    workflow_queue = f"wf-{uuid.uuid4()}"
    await move_clock_to(env, start)
    async with (
        Worker(client, task_queue=workflow_queue, workflows=[Referral]),
        Worker(
            client,
            task_queue=REFERRALS_TASK_QUEUE,
            activities=[fakes.deliver, fakes.record_step, fakes.read],
        ),
        Worker(client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[fakes.send_email]),
    ):
        handle = await client.start_workflow(
            Referral.run,
            request,
            id=f"referral-{request.referral_id}",
            task_queue=workflow_queue,
        )
        await scenario(handle)
        result = await handle.result()
        assert await handle.query(REFERRAL_STATE_QUERY, result_type=ReferralState) == result
        history = await handle.fetch_history()
        assert len(history.events) < 200, "keep a referral's history small"
        if RECORD_TO is not None and history_name is not None:
            target = RECORD_TO / f"referral_{history_name}.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        return result


async def answer(handle: WorkflowHandle[Referral, ReferralState], at: datetime) -> None:
    await handle.signal(REFERRAL_RESPONDED_SIGNAL, ReferralResponded(at=at))
    await handle.signal(REFERRAL_DISPOSITION_SIGNAL, ReferralDispositionReceived(at=at))


async def test_acknowledged_in_time(env: WorkflowEnvironment) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON  # a Monday

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await until(lambda: len(fakes.deliveries) == 2)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(), start, scenario, "acknowledged")
    # Email is not a delivery channel yet; Kafka and the webhook each get one delivery.
    assert sorted((d.channel, d.action) for d in fakes.deliveries) == [
        ("kafka", "referral"),
        ("webhook", "referral"),
    ]
    assert {d.idempotency_key for d in fakes.deliveries} == {
        f"{result.referral_id}:referral:kafka",
        f"{result.referral_id}:referral:webhook",
    }
    assert fakes.steps == []
    assert result.status == "disposition_received"
    assert result.reminders_sent == 0
    assert minute(result.acknowledgement_deadline) == datetime(2031, 3, 5, 15, tzinfo=UTC)


async def test_acknowledged_late_after_the_first_reminder(env: WorkflowEnvironment) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON  # Monday; 3 business days: Thursday

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await env.sleep(timedelta(days=3, hours=1))
        await until(lambda: len(fakes.steps) == 1)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(ack_days=3), start, scenario)
    assert fakes.step_log() == [("acknowledgement", "reminder", 1, "Thu 2031-03-06 15:00")]
    assert minute(fakes.steps[0].next_deadline) == datetime(2031, 3, 10, 15, tzinfo=UTC)
    assert [d.action for d in fakes.deliveries].count("reminder-acknowledgement-1") == 2
    assert result.reminders_sent == 1
    assert result.escalations == []
    assert result.status == "disposition_received"


async def test_never_acknowledged_across_thanksgiving_and_a_weekend(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeReferrals()
    start = datetime(2030, 11, 27, tzinfo=UTC) + NOON  # the Wednesday before Thanksgiving

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await env.sleep(timedelta(days=14))
        await until(lambda: len(fakes.steps) == 3)
        state = await handle.query(REFERRAL_STATE_QUERY, result_type=ReferralState)
        assert state.escalations == ["acknowledgement"]
        await handle.signal(RECALL_REFERRAL_SIGNAL, RecallReferral(reason="no answer"))

    result = await run_referral(env, fakes, referral_input(ack_days=2), start, scenario, "never")
    # Thursday is Thanksgiving, Friday counts, the weekend does not: due Monday.
    assert minute(result.acknowledgement_deadline) == datetime(2030, 12, 2, 15, tzinfo=UTC)
    assert fakes.step_log() == [
        ("acknowledgement", "reminder", 1, "Mon 2030-12-02 15:00"),
        ("acknowledgement", "reminder", 2, "Wed 2030-12-04 15:00"),
        ("acknowledgement", "escalated", 0, "Fri 2030-12-06 15:00"),
    ]
    assert result.reminders_sent == 2
    assert result.status == "recalled"
    assert sorted(d.channel for d in fakes.deliveries if d.action == "recall") == [
        "kafka",
        "webhook",
    ]


async def test_response_deadline_reminds_once_then_escalates(env: WorkflowEnvironment) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await until(lambda: len(fakes.deliveries) == 2)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        await env.sleep(timedelta(days=14))
        await until(lambda: len(fakes.steps) == 2)
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(response_days=5), start, scenario)
    assert minute(result.response_deadline) == datetime(2031, 3, 10, 15, tzinfo=UTC)
    assert fakes.step_log() == [
        ("response", "reminder", 1, "Mon 2031-03-10 15:00"),
        ("response", "escalated", 0, "Wed 2031-03-12 15:00"),
    ]
    assert result.escalations == ["response"]
    assert result.status == "disposition_received"


async def test_a_lost_acknowledgement_signal_is_read_from_the_database(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await until(lambda: len(fakes.deliveries) == 2)
        fakes.acknowledged = True  # the agency acknowledged; the signal never arrived
        await env.sleep(timedelta(days=3))
        deadline = time.monotonic() + 20
        while (await handle.query(Referral.state)).status != "acknowledged":
            assert time.monotonic() < deadline, "the workflow never learnt the acknowledgement"
            await asyncio.sleep(0.05)
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(), start, scenario)
    assert fakes.steps == []
    assert result.reminders_sent == 0


async def test_recall_ends_it_early_and_tells_the_recipient(env: WorkflowEnvironment) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await until(lambda: len(fakes.deliveries) == 2)
        await handle.signal(RECALL_REFERRAL_SIGNAL, RecallReferral(reason="sent in error"))

    result = await run_referral(env, fakes, referral_input(), start, scenario, "recalled")
    assert [d.action for d in fakes.deliveries[2:]] == ["recall", "recall"]
    assert result.status == "recalled"
    assert fakes.steps == []


async def test_a_refused_webhook_does_not_stop_the_referral(env: WorkflowEnvironment) -> None:
    fakes = FakeReferrals(refuse_webhook=True)
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await until(lambda: len(fakes.deliveries) == 2)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(), start, scenario)
    assert result.failed_channels == ["referral:webhook"]
    assert [d.channel for d in fakes.deliveries].count("webhook") == 1  # non-retryable
    assert result.status == "disposition_received"


async def test_the_email_channel_sends_each_delivery_once_and_records_it(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 3, 3, tzinfo=UTC) + NOON  # Monday; 2 business days: Wednesday
    request = referral_input().model_copy(
        update={
            "recipient_name": "DHS Office for Civil Rights and Civil Liberties",
            "recipient_email": "crcl@dhs.example.gov",
            "purpose": "investigation",
            "nature": "complaint",
        }
    )

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await env.sleep(timedelta(days=2, hours=1))
        await until(lambda: len(fakes.steps) == 1)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        await answer(handle, start)

    result = await run_referral(env, fakes, request, start, scenario, "email")
    assert [(e.action, e.recipient_email) for e in fakes.emails] == [
        ("referral", "crcl@dhs.example.gov"),
        ("reminder-acknowledgement-1", "crcl@dhs.example.gov"),
    ]
    assert fakes.emails[0].idempotency_key == f"{result.referral_id}:referral:email"
    assert minute(fakes.emails[1].deadline) == datetime(2031, 3, 7, 15, tzinfo=UTC)
    # Each email is then recorded by the referrals service like the other channels.
    assert sorted((d.channel, d.action) for d in fakes.deliveries) == [
        ("email", "referral"),
        ("email", "reminder-acknowledgement-1"),
        ("kafka", "referral"),
        ("kafka", "reminder-acknowledgement-1"),
        ("webhook", "referral"),
        ("webhook", "reminder-acknowledgement-1"),
    ]
    assert result.failed_channels == []


async def test_an_acknowledgement_after_the_escalation_moves_on_to_the_response(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeReferrals()
    start = datetime(2031, 12, 23, tzinfo=UTC) + NOON  # Tuesday before Christmas

    async def scenario(handle: WorkflowHandle[Referral, ReferralState]) -> None:
        await env.sleep(timedelta(days=16))
        await until(lambda: len(fakes.steps) == 3)
        await handle.signal(REFERRAL_ACKNOWLEDGED_SIGNAL, ReferralAcknowledged(at=start))
        deadline = time.monotonic() + 20
        while (await handle.query(Referral.state)).status != "acknowledged":
            assert time.monotonic() < deadline, "the acknowledgement was not taken"
            await asyncio.sleep(0.05)
        await answer(handle, start)

    result = await run_referral(env, fakes, referral_input(ack_days=2), start, scenario)
    # Christmas (Thursday) is skipped: Wed 24, Fri 26 → due Friday; the weekend pushes the
    # second reminder to Tuesday, and New Year's Day (Thursday) the escalation to Friday.
    assert fakes.step_log() == [
        ("acknowledgement", "reminder", 1, "Fri 2031-12-26 15:00"),
        ("acknowledgement", "reminder", 2, "Tue 2031-12-30 15:00"),
        ("acknowledgement", "escalated", 0, "Fri 2032-01-02 15:00"),
    ]
    assert result.escalations == ["acknowledgement"]
    assert result.status == "disposition_received"


@pytest.mark.parametrize("name", ["acknowledged", "email", "never", "recalled"])
async def test_stored_histories_replay(name: str) -> None:
    """Histories recorded from this workflow; a non-deterministic change fails here."""
    path = HISTORIES / f"referral_{name}.json"
    history = WorkflowHistory.from_json(f"referral-{name}", path.read_text())
    replayer = Replayer(workflows=[Referral], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
