"""The parts of CaseLifecycle added after it first ran: service-level clocks, search
attributes and referrals started as children (patches "service-levels-v1" and
"referral-children-v1"). A mixin, so that the workflow's own module stays readable; Temporal
collects the signal and query handlers from base classes too.

Deterministic code only, like the workflow itself.
"""

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from ombuds_shared.contracts import (
        CASES_TASK_QUEUE,
        INFORMATION_RECEIVED_SIGNAL,
        NOTIFICATIONS_TASK_QUEUE,
        RECORD_INFORMATION_OVERDUE_ACTIVITY,
        RECORD_SLA_BREACH_ACTIVITY,
        REFERRAL_WORKFLOW,
        REQUEST_INFORMATION_SIGNAL,
        SA_CASE_OFFICE,
        SA_CASE_STATUS,
        SA_SLA_STATE,
        SEND_STAFF_ESCALATION_ACTIVITY,
        SERVICE_LEVELS_QUERY,
        START_REFERRAL_SIGNAL,
        STATUS_CHANGED_SIGNAL,
        CaseLifecycleInput,
        InformationReceived,
        RecordInformationOverdue,
        RecordSlaBreach,
        ReferralInput,
        RequestInformation,
        SendStaffEscalation,
        ServiceLevels,
        StaffEscalationResult,
        StatusChanged,
        referral_workflow_id,
    )
    from ombuds_workflows.service_levels import Clock, ServiceLevelClocks

# As CaseLifecycle's: databases and SMTP servers come back; retry, at most every 30 s.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
REFERRAL_CHILDREN_PATCH = "referral-children-v1"
LevelSignal = StatusChanged | RequestInformation | InformationReceived


class CaseLifecycleAdditions:
    """State is set up by CaseLifecycle.__init__; these are its types."""

    _status: str
    _control_number: str
    _input: CaseLifecycleInput | None
    _levels: ServiceLevelClocks | None
    _early: list[LevelSignal]
    _started: bool
    _status_signals: int
    _level_version: int
    _settled: bool
    _published: dict[str, str]
    _referrals: list[ReferralInput]
    _referrals_started: set[str]

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
        """The clocks as of `at`, the caller's clock: workflow.now() is the time of the last
        workflow task, days old for an idle case, so callers (the cases service, an operator's
        `temporal workflow query --input`) pass the time they ask at; without it, that task's."""
        levels = self._levels
        if levels is None:
            return ServiceLevels(
                control_number=self._control_number,
                status=self._status,
                state="unknown",
                paused=False,
                detail="started before service levels were tracked",
            )
        now = at or workflow.now()
        return ServiceLevels(
            control_number=self._control_number,
            status=self._status,
            state=levels.overall(),
            paused=levels.paused,
            open_information_requests=sorted(levels.requests),
            clocks=[levels.level(clock, now) for clock in levels.clocks.values()],
        )
