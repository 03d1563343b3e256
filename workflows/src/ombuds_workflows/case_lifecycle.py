"""CaseLifecycle: one workflow per case, from acknowledgement to closure.

Deterministic code only: time, ids and waiting come from `workflow`, all I/O is in activities
that live in the service owning the data and run on that service's task queue.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from ombuds_shared.contracts import (
        CASE_LIFECYCLE_WORKFLOW,
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
        ReferralInput,
        ReopenCase,
        SendAcknowledgement,
        WithdrawCase,
    )
    from ombuds_workflows.case_lifecycle_additions import CaseLifecycleAdditions, LevelSignal
    from ombuds_workflows.service_levels import ServiceLevelClocks

# SMTP servers and databases come back; keep trying, but not faster than every 30 s.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


# After closure the workflow stays to follow a reopen for this long, then ends; a later
# reopen is applied by the cases service alone (its signal finds no workflow).
REOPEN_WINDOW = timedelta(days=365)
# Close, reopen and withdraw are followed in the order they arrive (staff and submitter).
STAFF_ACTIONS_PATCH = "close-reopen-withdraw-v1"

# Triage and response clocks, information-request pauses and search attributes.
SERVICE_LEVELS_PATCH = "service-levels-v1"

StaffAction = CloseCase | ReopenCase | WithdrawCase


# Where the acknowledgement goes, by the channel the submission came in on.
EMAIL_CHANNELS = frozenset({"web", "email"})
LETTER_CHANNELS = frozenset({"letter", "comment_card", "fax"})


@workflow.defn(name=CASE_LIFECYCLE_WORKFLOW)
class CaseLifecycle(CaseLifecycleAdditions):
    def __init__(self) -> None:
        self._status = "received"
        self._acknowledgement_id: str | None = None
        self._close: CloseCase | None = None
        self._actions: list[StaffAction] = []
        self._control_number = ""
        self._input: CaseLifecycleInput | None = None
        # Service levels (patch "service-levels-v1"); None for cases started before it.
        self._levels: ServiceLevelClocks | None = None
        # Signals that came before `run` set the clocks up, applied in order once it has.
        self._early: list[LevelSignal] = []
        self._started = False
        self._status_signals = 0
        self._level_version = 0
        self._settled = False
        self._published: dict[str, str] = {}
        self._referrals: list[ReferralInput] = []
        self._referrals_started: set[str] = set()

    @workflow.run
    async def run(self, request: CaseLifecycleInput) -> LifecycleState:
        self._control_number = request.control_number
        self._input = request
        watcher = None
        if workflow.patched(SERVICE_LEVELS_PATCH):
            self._levels = ServiceLevelClocks(
                request.triage_business_days, request.response_business_days
            )
            self._levels.start(workflow.now())
            watcher = asyncio.create_task(self._watch_service_levels())
        self._started = True
        referrals = asyncio.create_task(self._start_referrals())
        for early in self._early:
            self._on_level_signal(early)
        self._early.clear()
        reason = await self._acknowledge(request)
        await self._record("triage", reason, step="acknowledged")

        if workflow.patched(STAFF_ACTIONS_PATCH):
            await self._follow_until_settled()
            self._settled = True
            if watcher is not None:
                await watcher
            await referrals
            return self.state()
        # Cases started before the patch: the first close ends them.
        await workflow.wait_condition(lambda: self._close is not None)
        assert self._close is not None
        await self._record("closed", self._close.reason, step="closed")
        return self.state()

    async def _follow_until_settled(self) -> None:
        """Follow close, reopen and withdraw until withdrawn, or closed past the reopen window."""
        closures = 0
        while True:
            if self._status == "closed":
                try:
                    await workflow.wait_condition(
                        lambda: bool(self._actions), timeout=REOPEN_WINDOW
                    )
                except TimeoutError:
                    return
            else:
                await workflow.wait_condition(lambda: bool(self._actions))
            action = self._actions.pop(0)
            if isinstance(action, WithdrawCase):
                # Withdrawal is possible until closure; after it there is nothing to withdraw.
                if self._status != "closed":
                    await self._follow(action, "withdrawn", step="withdrawn")
                    return
            elif isinstance(action, CloseCase):
                if self._status != "closed":
                    closures += 1
                    # The first close keeps the step name cases started before the patch used.
                    step = "closed" if closures == 1 else f"closed-{closures}"
                    await self._follow(action, "closed", step=step)
            elif self._status == "closed":
                await self._follow(action, "triage", step=f"reopened-{closures}")

    async def _follow(self, action: StaffAction, to_status: str, step: str) -> None:
        """Take on a status change; record it unless the cases service already has."""
        if action.already_recorded:
            self._set_status(to_status)
            return
        await self._record(to_status, action.reason, step=step)

    async def _acknowledge(self, request: CaseLifecycleInput) -> str:
        """Acknowledge in the channel the person used (PIA Overview); say how, for the record."""
        if request.anonymous:
            # PIA 2.1: anonymous submitters get no response.
            return "anonymous submission: no acknowledgement is sent"
        if request.channel in EMAIL_CHANNELS and request.recipient_email is not None:
            receipt = await workflow.execute_activity(
                SEND_ACKNOWLEDGEMENT_ACTIVITY,
                SendAcknowledgement(
                    control_number=request.control_number,
                    kind=request.kind,
                    recipient_email=request.recipient_email,
                    recipient_name=request.recipient_name or "",
                    language=request.language,
                ),
                result_type=AcknowledgementResult,
                task_queue=NOTIFICATIONS_TASK_QUEUE,
                start_to_close_timeout=timedelta(minutes=2),
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=ACTIVITY_RETRY,
            )
            self._acknowledgement_id = receipt.message_id
            return "acknowledgement sent to the submitter"
        if request.channel in LETTER_CHANNELS and request.address_lines:
            letter = await workflow.execute_activity(
                PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
                PrepareAcknowledgementLetter(
                    control_number=request.control_number,
                    kind=request.kind,
                    channel=request.channel,
                    recipient_name=request.recipient_name or "",
                    address_lines=request.address_lines,
                    language=request.language,
                ),
                result_type=LetterResult,
                task_queue=NOTIFICATIONS_TASK_QUEUE,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=ACTIVITY_RETRY,
            )
            self._acknowledgement_id = letter.message_id
            return "acknowledgement letter ready to print and mail"
        if request.channel == "phone":
            return "control number read back to the caller by staff"
        return f"no acknowledgement: no address for a {request.channel} submission"

    async def _record(self, to_status: str, reason: str, step: str) -> None:
        """Record a workflow step's status change; a status signal that came meanwhile is
        later than this step and wins (so does one that came before the triage step)."""
        signals_before = self._status_signals
        await workflow.execute_activity(
            RECORD_CASE_STATUS_ACTIVITY,
            RecordCaseStatus(
                control_number=self._control_number, to_status=to_status, reason=reason, step=step
            ),
            result_type=bool,
            task_queue=CASES_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )
        if self._status_signals != signals_before:
            return
        if step == "acknowledged" and self._status != "received":
            return
        self._set_status(to_status)

    @workflow.signal(name=CLOSE_CASE_SIGNAL)
    def close_case(self, request: CloseCase) -> None:
        self._close = request
        self._actions.append(request)

    @workflow.signal(name=REOPEN_CASE_SIGNAL)
    def reopen_case(self, request: ReopenCase) -> None:
        self._actions.append(request)

    @workflow.signal(name=WITHDRAW_CASE_SIGNAL)
    def withdraw_case(self, request: WithdrawCase) -> None:
        self._actions.append(request)

    @workflow.query(name=LIFECYCLE_STATE_QUERY)
    def state(self) -> LifecycleState:
        return LifecycleState(
            control_number=self._control_number,
            status=self._status,
            acknowledged=self._acknowledgement_id is not None,
            acknowledgement_message_id=self._acknowledgement_id,
        )
