"""CaseLifecycle on the time-skipping test server, with activities mocked by name."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from ombuds_shared.contracts import (
    CASES_TASK_QUEUE,
    CLOSE_CASE_SIGNAL,
    LIFECYCLE_STATE_QUERY,
    NOTIFICATIONS_TASK_QUEUE,
    PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
    RECORD_CASE_STATUS_ACTIVITY,
    REOPEN_CASE_SIGNAL,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    WITHDRAW_CASE_SIGNAL,
    AcknowledgementResult,
    CaseLifecycleInput,
    CloseCase,
    LetterResult,
    LifecycleState,
    PrepareAcknowledgementLetter,
    RecordCaseStatus,
    ReopenCase,
    SendAcknowledgement,
    WithdrawCase,
)
from ombuds_workflows.case_lifecycle import REOPEN_WINDOW, CaseLifecycle

HISTORIES = Path(__file__).parent / "histories"
# OMBUDS_RECORD_HISTORIES=1 rewrites the stored histories from this run (after a deliberate,
# patched change to the workflow); the replay test then guards them against later changes.
RECORD_TO = HISTORIES if os.environ.get("OMBUDS_RECORD_HISTORIES") == "1" else None


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        yield environment


class FakeServices:
    """Stands in for the notifications and cases activities, recording every call."""

    def __init__(self, fail_sends: int = 0) -> None:
        self.sends: list[SendAcknowledgement] = []
        self.statuses: list[RecordCaseStatus] = []
        self.letters: list[PrepareAcknowledgementLetter] = []
        self.fail_sends = fail_sends

    @activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
    async def send(self, request: SendAcknowledgement) -> AcknowledgementResult:
        self.sends.append(request)
        if len(self.sends) <= self.fail_sends:
            raise ApplicationError("SMTP server unavailable")
        return AcknowledgementResult(
            message_id=f"msg-{request.control_number}",
            already_sent=False,
            sent_at=datetime.now(UTC),
        )

    @activity.defn(name=PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY)
    async def letter(self, request: PrepareAcknowledgementLetter) -> LetterResult:
        self.letters.append(request)
        return LetterResult(message_id=f"letter-{request.control_number}", already_prepared=False)

    @activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
    async def record(self, request: RecordCaseStatus) -> bool:
        self.statuses.append(request)
        return True


async def run_case(
    client: Client, fakes: FakeServices, request: CaseLifecycleInput
) -> LifecycleState:
    workflow_queue = f"wf-{uuid.uuid4()}"
    workers = [
        Worker(client, task_queue=workflow_queue, workflows=[CaseLifecycle]),
        Worker(client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[fakes.send, fakes.letter]),
        Worker(client, task_queue=CASES_TASK_QUEUE, activities=[fakes.record]),
    ]
    for worker in workers:
        await worker.__aenter__()
    try:
        handle = await client.start_workflow(
            CaseLifecycle.run, request, id=f"case-{uuid.uuid4()}", task_queue=workflow_queue
        )
        # A close signal may arrive at any time; the workflow acknowledges and triages first.
        await handle.signal(CLOSE_CASE_SIGNAL, CloseCase(reason="resolved"))
        result = await handle.result()
        if RECORD_TO is not None:
            history = await handle.fetch_history()
            name = "anonymous" if request.anonymous else "acknowledged"
            target = RECORD_TO / f"case_lifecycle_{name}.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        assert await handle.query(LIFECYCLE_STATE_QUERY, result_type=LifecycleState) == result
        return result
    finally:
        for worker in reversed(workers):
            await worker.__aexit__(None, None, None)


def lifecycle_input(
    anonymous: bool = False, channel: str = "web", address_lines: list[str] | None = None
) -> CaseLifecycleInput:
    return CaseLifecycleInput(
        control_number="OMB-TEST0-00000-0",
        kind="complaint",
        category="general",
        channel=channel,
        address_lines=address_lines or [],
        anonymous=anonymous,
        recipient_email=None if anonymous else "ada@example.org",
        recipient_name=None if anonymous else "Ada Lovelace",
    )


async def test_acknowledges_then_triages_then_closes(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    result = await run_case(env.client, fakes, lifecycle_input())
    assert [s.recipient_email for s in fakes.sends] == ["ada@example.org"]
    assert [(s.to_status, s.step) for s in fakes.statuses] == [
        ("triage", "acknowledged"),
        ("closed", "closed"),
    ]
    assert result.status == "closed"
    assert result.acknowledgement_message_id == "msg-OMB-TEST0-00000-0"


async def test_anonymous_submission_gets_no_acknowledgement(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    result = await run_case(env.client, fakes, lifecycle_input(anonymous=True))
    assert fakes.sends == []
    assert "anonymous" in fakes.statuses[0].reason
    assert result.acknowledged is False


async def test_failed_send_is_retried_until_it_succeeds(env: WorkflowEnvironment) -> None:
    fakes = FakeServices(fail_sends=2)
    result = await run_case(env.client, fakes, lifecycle_input())
    assert len(fakes.sends) == 3
    assert result.acknowledged is True


async def test_illegal_transition_fails_the_workflow(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()

    async def refuse(request: RecordCaseStatus) -> bool:
        raise ApplicationError("no", type="IllegalTransition", non_retryable=True)

    fakes.record = activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)(refuse)  # type: ignore[method-assign]
    with pytest.raises(WorkflowFailureError):
        await run_case(env.client, fakes, lifecycle_input())


async def test_mail_gets_a_printable_letter_not_an_email(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    address = ["123 Palm Ave", "Chula Vista, CA 91910", "United States"]
    result = await run_case(
        env.client, fakes, lifecycle_input(channel="letter", address_lines=address)
    )
    assert fakes.sends == []
    assert [letter.address_lines for letter in fakes.letters] == [address]
    assert result.acknowledgement_message_id == "letter-OMB-TEST0-00000-0"
    assert fakes.statuses[0].reason == "acknowledgement letter ready to print and mail"


async def test_phone_is_acknowledged_by_staff_reading_the_number_back(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    result = await run_case(env.client, fakes, lifecycle_input(channel="phone"))
    assert (fakes.sends, fakes.letters) == ([], [])
    assert "read back" in fakes.statuses[0].reason
    assert result.acknowledged is False


async def test_fax_without_an_address_records_why_nothing_was_sent(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    await run_case(env.client, fakes, lifecycle_input(channel="fax"))
    assert (fakes.sends, fakes.letters) == ([], [])
    assert fakes.statuses[0].reason == "no acknowledgement: no address for a fax submission"


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_stored_histories_still_replay(path: Path) -> None:
    """A change that would break running cases (nondeterminism) fails here first."""
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    replayer = Replayer(workflows=[CaseLifecycle], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None


def test_histories_are_stored() -> None:
    assert {p.stem for p in HISTORIES.glob("*.json")} == {
        "case_lifecycle_acknowledged",
        "case_lifecycle_anonymous",
        "case_lifecycle_reopened",
        # Written by test_case_lifecycle_service_levels.py (patch "service-levels-v1").
        "case_lifecycle_service_levels_breached",
        # Written by test_case_lifecycle_referrals.py (patch "referral-children-v1").
        "case_lifecycle_referral_child",
    }


# --- close, reopen and withdraw (patch "close-reopen-withdraw-v1") ---------------------------

Signal = tuple[str, CloseCase | ReopenCase | WithdrawCase]


async def run_with_signals(
    env: WorkflowEnvironment,
    fakes: FakeServices,
    signals: list[Signal],
    record_as: str | None = None,
) -> tuple[LifecycleState, list[timedelta]]:
    """Start a case, send `signals` in order, wait for the end; the result and its timers."""
    client = env.client
    workflow_queue = f"wf-{uuid.uuid4()}"
    async with (
        Worker(client, task_queue=workflow_queue, workflows=[CaseLifecycle]),
        Worker(client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[fakes.send, fakes.letter]),
        Worker(client, task_queue=CASES_TASK_QUEUE, activities=[fakes.record]),
    ):
        handle = await client.start_workflow(
            CaseLifecycle.run,
            lifecycle_input(),
            id=f"case-{uuid.uuid4()}",
            task_queue=workflow_queue,
        )
        for name, body in signals:
            await handle.signal(name, body)
        # Waiting on the result lets the time-skipping server run out the reopen window.
        result = await handle.result()
        history = await handle.fetch_history()
        if RECORD_TO is not None and record_as is not None:
            target = RECORD_TO / f"case_lifecycle_{record_as}.json"
            await asyncio.to_thread(target.write_text, history.to_json())
        timers = [
            event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
            for event in history.events
            if event.HasField("timer_started_event_attributes")
        ]
        return result, timers


def recorded(fakes: FakeServices) -> list[tuple[str, str]]:
    return [(status.to_status, status.step) for status in fakes.statuses]


async def test_close_reopen_close_records_each_once_then_ends_after_the_window(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()

    result, timers = await run_with_signals(
        env,
        fakes,
        [
            (CLOSE_CASE_SIGNAL, CloseCase(reason="answered")),
            (REOPEN_CASE_SIGNAL, ReopenCase(reason="submitter wrote back")),
            (CLOSE_CASE_SIGNAL, CloseCase(reason="answered again")),
        ],
        record_as="reopened",
    )

    assert recorded(fakes) == [
        ("triage", "acknowledged"),
        ("closed", "closed"),
        ("triage", "reopened-1"),
        ("closed", "closed-2"),
    ]
    assert [s.reason for s in fakes.statuses[1:]] == [
        "answered",
        "submitter wrote back",
        "answered again",
    ]
    assert result.status == "closed"
    # The reopen was already waiting after the first close; after the last close nothing
    # came, so the workflow ran out the reopen window and ended by itself. (The other timers
    # are the service-level clocks'.)
    assert timers.count(REOPEN_WINDOW) == 1
    assert timers[-1] == REOPEN_WINDOW


async def test_withdrawal_before_closure_records_withdrawn_and_ends(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()

    result, timers = await run_with_signals(
        env, fakes, [(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="no longer needed"))]
    )

    assert recorded(fakes) == [("triage", "acknowledged"), ("withdrawn", "withdrawn")]
    assert result.status == "withdrawn"
    # Withdrawn is final: no reopen window is waited out.
    assert REOPEN_WINDOW not in timers


async def test_withdrawal_after_closure_changes_nothing(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    result, _ = await run_with_signals(
        env,
        fakes,
        [
            (CLOSE_CASE_SIGNAL, CloseCase(reason="answered")),
            (WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="too late")),
        ],
    )
    assert recorded(fakes) == [("triage", "acknowledged"), ("closed", "closed")]
    assert result.status == "closed"


async def test_changes_the_cases_service_already_recorded_are_not_recorded_again(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    result, _ = await run_with_signals(
        env,
        fakes,
        [
            (CLOSE_CASE_SIGNAL, CloseCase(reason="closed by staff", already_recorded=True)),
            (REOPEN_CASE_SIGNAL, ReopenCase(reason="reopened by staff", already_recorded=True)),
            (WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="by submitter", already_recorded=True)),
        ],
    )
    assert recorded(fakes) == [("triage", "acknowledged")]
    assert result.status == "withdrawn"


async def test_a_reopen_of_an_open_case_is_ignored(env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    result, _ = await run_with_signals(
        env,
        fakes,
        [
            (REOPEN_CASE_SIGNAL, ReopenCase(reason="nothing to reopen")),
            (CLOSE_CASE_SIGNAL, CloseCase(reason="answered")),
        ],
    )
    assert recorded(fakes) == [("triage", "acknowledged"), ("closed", "closed")]
    assert result.status == "closed"
