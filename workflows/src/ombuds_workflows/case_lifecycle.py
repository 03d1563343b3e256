"""CaseLifecycle: one workflow per case, from acknowledgement to closure.

Deterministic code only: time, ids and waiting come from `workflow`, all I/O is in activities
that live in the service owning the data and run on that service's task queue.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from ombuds_shared.contracts import (
        CASE_LIFECYCLE_WORKFLOW,
        CASES_TASK_QUEUE,
        CLOSE_CASE_SIGNAL,
        INFORMATION_RECEIVED_SIGNAL,
        LIFECYCLE_STATE_QUERY,
        NOTIFICATIONS_TASK_QUEUE,
        PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
        RECORD_CASE_STATUS_ACTIVITY,
        RECORD_INFORMATION_OVERDUE_ACTIVITY,
        RECORD_SLA_BREACH_ACTIVITY,
        REFERRAL_WORKFLOW,
        REOPEN_CASE_SIGNAL,
        REQUEST_INFORMATION_SIGNAL,
        SA_CASE_OFFICE,
        SA_CASE_STATUS,
        SA_SLA_STATE,
        SEND_ACKNOWLEDGEMENT_ACTIVITY,
        SEND_STAFF_ESCALATION_ACTIVITY,
        SERVICE_LEVELS_QUERY,
        START_REFERRAL_SIGNAL,
        STATUS_CHANGED_SIGNAL,
        WITHDRAW_CASE_SIGNAL,
        AcknowledgementResult,
        CaseLifecycleInput,
        CloseCase,
        InformationReceived,
        LetterResult,
        LifecycleState,
        PrepareAcknowledgementLetter,
        RecordCaseStatus,
        RecordInformationOverdue,
        RecordSlaBreach,
        ReferralInput,
        ReopenCase,
        RequestInformation,
        SendAcknowledgement,
        SendStaffEscalation,
        ServiceLevels,
        StaffEscalationResult,
        StatusChanged,
        WithdrawCase,
        referral_workflow_id,
    )
    from ombuds_workflows.service_levels import Clock, ServiceLevelClocks

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
# Referrals started as children of the case (signal `start_referral`).
REFERRAL_CHILDREN_PATCH = "referral-children-v1"

StaffAction = CloseCase | ReopenCase | WithdrawCase
LevelSignal = StatusChanged | RequestInformation | InformationReceived


# Where the acknowledgement goes, by the channel the submission came in on.
EMAIL_CHANNELS = frozenset({"web", "email"})
LETTER_CHANNELS = frozenset({"letter", "comment_card", "fax"})


@workflow.defn(name=CASE_LIFECYCLE_WORKFLOW)
class CaseLifecycle:
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

    def _set_status(self, to_status: str) -> None:
        previous, self._status = self._status, to_status
        if self._levels is None:
            return
        now = workflow.now()
        if previous == "closed" and to_status == "triage":
            self._levels.start(now)  # reopened: a new cycle of both clocks
        else:
            self._levels.on_status(to_status, now)
        self._level_version += 1
        self._publish(status=to_status)

    # --- referrals as children (patch "referral-children-v1") ----------------------------

    async def _start_referrals(self) -> None:
        """Start each requested Referral as a child that outlives this workflow (ABANDON).

        Only the start is awaited, never the child's result: the case may close, or its
        workflow end, while its referrals go on.
        """
        while True:
            await workflow.wait_condition(lambda: bool(self._referrals) or self._settled)
            if not self._referrals:
                return
            request = self._referrals.pop(0)
            if request.referral_id in self._referrals_started:
                continue
            self._referrals_started.add(request.referral_id)
            if not workflow.patched(REFERRAL_CHILDREN_PATCH):
                continue
            try:
                await workflow.start_child_workflow(
                    REFERRAL_WORKFLOW,
                    request,
                    id=referral_workflow_id(request.referral_id),
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:
                # Started directly before (the case workflow was unreachable then): one run.
                workflow.logger.info("referral %s already running", request.referral_id)

    @workflow.signal(name=START_REFERRAL_SIGNAL)
    def start_referral(self, request: ReferralInput) -> None:
        self._referrals.append(request)

    # --- service levels (patch "service-levels-v1") -----------------------------------------

    async def _watch_service_levels(self) -> None:
        """Sleep until the next deadline or a change to the clocks; breach what is due."""
        levels = self._levels
        assert levels is not None
        while not self._settled:
            version = self._level_version
            deadline = levels.next_deadline()
            now = workflow.now()
            if deadline is None or deadline > now:
                timeout = None if deadline is None else deadline - now
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(self._changed_since(version), timeout=timeout)
                if self._settled:
                    return
            now = workflow.now()
            for request_id in levels.overdue_requests(now):
                due_at = levels.requests[request_id]
                levels.close_request(request_id, now)
                await self._information_overdue(request_id, due_at)
            for clock in levels.breach_due(now):
                await self._breach(clock)
            self._publish()

    def _changed_since(self, version: int) -> Callable[[], bool]:
        return lambda: self._level_version != version or self._settled

    async def _information_overdue(self, request_id: str, due_at: datetime) -> None:
        await workflow.execute_activity(
            RECORD_INFORMATION_OVERDUE_ACTIVITY,
            RecordInformationOverdue(
                control_number=self._control_number, request_id=request_id, due_at=due_at
            ),
            result_type=bool,
            task_queue=CASES_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )

    async def _breach(self, clock: Clock) -> None:
        """Record the breach (timeline and event) and tell the supervisor, once each."""
        assert self._input is not None
        assert clock.breached_at is not None
        await workflow.execute_activity(
            RECORD_SLA_BREACH_ACTIVITY,
            RecordSlaBreach(
                control_number=self._control_number,
                clock=clock.name,
                key=clock.key,
                due_at=clock.due_at,
                breached_at=clock.breached_at,
                business_days=clock.business_days,
            ),
            result_type=bool,
            task_queue=CASES_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )
        if self._input.supervisor_email is None:
            return
        try:
            await workflow.execute_activity(
                SEND_STAFF_ESCALATION_ACTIVITY,
                SendStaffEscalation(
                    control_number=self._control_number,
                    step=f"{clock.key}-sla",
                    supervisor_email=self._input.supervisor_email,
                    overdue=f"{clock.name} (SLA {clock.business_days} business days)",
                    due_at=clock.due_at,
                ),
                result_type=StaffEscalationResult,
                task_queue=NOTIFICATIONS_TASK_QUEUE,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError:
            # A refused address is not retried; the breach is on record, the case goes on.
            workflow.logger.warning("supervisor not notified of %s breach", clock.key)

    def _on_level_signal(self, signal: LevelSignal) -> None:
        if not self._started:
            self._early.append(signal)
            return
        if isinstance(signal, StatusChanged):
            self._status_signals += 1
            if signal.office is not None:
                self._publish(office=signal.office)
            # Closure and withdrawal come with their own signals, which drive the workflow.
            if signal.to_status not in ("closed", "withdrawn"):
                self._set_status(signal.to_status)
            return
        if self._levels is None:
            return
        now = workflow.now()
        if isinstance(signal, RequestInformation):
            changed = self._levels.open_request(signal.request_id, signal.due_at, now)
        else:
            changed = self._levels.close_request(signal.request_id, now)
        if changed:
            self._level_version += 1
            self._publish()

    def _publish(self, status: str | None = None, office: str | None = None) -> None:
        """Upsert the search attributes that changed (only if the case was started with them)."""
        if self._levels is None or self._input is None or not self._input.search_attributes:
            return
        wanted = {SA_SLA_STATE: self._levels.overall()}
        if status is not None:
            wanted[SA_CASE_STATUS] = status
        if office is not None:
            wanted[SA_CASE_OFFICE] = office
        updates = [
            SearchAttributeKey.for_keyword(name).value_set(value)
            for name, value in wanted.items()
            if self._published.get(name) != value
        ]
        if updates:
            self._published.update(wanted)
            workflow.upsert_search_attributes(updates)

    @workflow.signal(name=STATUS_CHANGED_SIGNAL)
    def status_changed(self, request: StatusChanged) -> None:
        self._on_level_signal(request)

    @workflow.signal(name=REQUEST_INFORMATION_SIGNAL)
    def request_information(self, request: RequestInformation) -> None:
        self._on_level_signal(request)

    @workflow.signal(name=INFORMATION_RECEIVED_SIGNAL)
    def information_received(self, request: InformationReceived) -> None:
        self._on_level_signal(request)

    @workflow.query(name=SERVICE_LEVELS_QUERY)
    def service_levels(self, at: datetime | None = None) -> ServiceLevels:
        """The clocks as of `at` (the caller's clock), or of the later of workflow.now() and
        the wall clock: workflow.now() is the time of the last workflow task, days old for an
        idle case, and a query changes nothing, so it may read the wall clock."""
        levels = self._levels
        if levels is None:
            return ServiceLevels(
                control_number=self._control_number,
                status=self._status,
                state="unknown",
                paused=False,
                detail="started before service levels were tracked",
            )
        if at is None:
            with workflow.unsafe.sandbox_unrestricted():
                at = max(workflow.now(), datetime.now(UTC))
        now = at
        return ServiceLevels(
            control_number=self._control_number,
            status=self._status,
            state=levels.overall(),
            paused=levels.paused,
            open_information_requests=sorted(levels.requests),
            clocks=[levels.level(clock, now) for clock in levels.clocks.values()],
        )

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
