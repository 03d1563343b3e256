"""Referral: one workflow per referral, from delivery to the recipient's disposition.

Deliver on every channel of the recipient; wait for the acknowledgement until its business-day
deadline; then remind, remind again and escalate to the supervisor, each after
`reminder_interval_business_days` more business days. After the acknowledgement the response
(or a disposition straight away) has its own deadline: one reminder, then escalation. Once
escalated, a phase waits without a deadline. A disposition ends the workflow; a recall ends it
early and tells the recipient.

Email (behind the `referral-email-v1` patch, for inputs that carry the recipient's address):
each delivery also goes out as an email from the notifications service, once per referral,
action and channel, and is then recorded by the referrals service like any other channel.

Signals come from the referrals service after it has committed the change. If a signal is lost,
the workflow still learns it: every reminder and escalation goes through an activity that reads
the referral's row first and records nothing if the phase is already over, and a wait without a
deadline re-reads the row once a week.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ombuds_shared.business_days import business_deadline
    from ombuds_shared.contracts import (
        CHANNEL_EMAIL,
        DELIVER_REFERRAL_ACTIVITY,
        NOTIFICATIONS_TASK_QUEUE,
        RECALL_REFERRAL_SIGNAL,
        RECORD_REFERRAL_STEP_ACTIVITY,
        REFERRAL_ACKNOWLEDGED_SIGNAL,
        REFERRAL_DISPOSITION_SIGNAL,
        REFERRAL_RESPONDED_SIGNAL,
        REFERRAL_SNAPSHOT_ACTIVITY,
        REFERRAL_STATE_QUERY,
        REFERRAL_WORKFLOW,
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

# Email became a delivery channel after Referral workflows were already running.
EMAIL_PATCH = "referral-email-v1"

# Webhooks and databases come back; keep trying with back-off, not faster than every 5 min.
# A webhook answering 4xx (other than 408/429) fails for good: the activity says non-retryable.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=20,
)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
# How often a wait without a deadline re-reads the database for a lost signal.
RECHECK_EVERY = timedelta(days=7)
# Acknowledgement: reminder 1, reminder 2, escalation. Response: reminder 1, escalation.
ACKNOWLEDGEMENT_STEPS = (("reminder", 1), ("reminder", 2), ("escalated", 0))
RESPONSE_STEPS = (("reminder", 1), ("escalated", 0))


@workflow.defn(name=REFERRAL_WORKFLOW)
class Referral:
    def __init__(self) -> None:
        self._referral_id = ""
        self._status = "created"
        self._acknowledged = False
        self._responded = False
        self._disposition_received = False
        self._recall: RecallReferral | None = None
        self._acknowledgement_deadline: datetime | None = None
        self._response_deadline: datetime | None = None
        self._reminders_sent = 0
        self._escalations: list[str] = []
        self._failed_channels: list[str] = []
        self._email = False

    @workflow.run
    async def run(self, request: ReferralInput) -> ReferralState:
        self._referral_id = request.referral_id
        channels = [c for c in request.channels if c != CHANNEL_EMAIL]
        # Asked only when there is an address to send to, so histories without one replay.
        self._email = (
            CHANNEL_EMAIL in request.channels
            and request.recipient_email is not None
            and workflow.patched(EMAIL_PATCH)
        )
        await self._deliver(request, channels, "referral", None)
        self._status = "delivered"

        # Counted from the referral, not from the end of a delivery that took retries.
        self._acknowledgement_deadline = business_deadline(
            workflow.info().start_time,
            request.acknowledgement_business_days,
            request.inauguration_day,
        )
        await self._phase(
            request, channels, "acknowledgement", ACKNOWLEDGEMENT_STEPS, self._is_acknowledged
        )
        if self._recall is None:
            self._status = "acknowledged"
            self._response_deadline = business_deadline(
                workflow.now(), request.response_business_days, request.inauguration_day
            )
            await self._phase(request, channels, "response", RESPONSE_STEPS, self._has_answered)
        if self._recall is None:
            self._status = "responded"
            await self._wait_without_deadline(lambda: self._disposition_received)
        if self._recall is not None:
            self._status = "recalled"
            await self._deliver(request, channels, "recall", None)
        else:
            self._status = "disposition_received"
        return self.state()

    def _is_acknowledged(self) -> bool:
        return self._acknowledged or self._responded or self._disposition_received

    def _has_answered(self) -> bool:
        return self._responded or self._disposition_received

    async def _phase(
        self,
        request: ReferralInput,
        channels: list[str],
        phase: str,
        steps: tuple[tuple[str, int], ...],
        done: Callable[[], bool],
    ) -> None:
        """Wait for `done` until each deadline; at each one take the next timer step."""
        deadline = self._deadline(phase)
        for step, number in steps:
            if await self._wait_until(deadline, done):
                return
            next_deadline = (
                business_deadline(
                    deadline, request.reminder_interval_business_days, request.inauguration_day
                )
                if step == "reminder"
                else None
            )
            snapshot = await self._record_step(step, phase, number, next_deadline)
            if not snapshot.step_recorded or done() or self._recall is not None:
                return
            if step == "reminder":
                self._reminders_sent += 1
                await self._deliver(request, channels, f"reminder-{phase}-{number}", next_deadline)
                assert next_deadline is not None
                deadline = next_deadline
            else:
                self._escalations.append(phase)
        await self._wait_without_deadline(done)

    def _deadline(self, phase: str) -> datetime:
        deadline = (
            self._acknowledgement_deadline
            if phase == "acknowledgement"
            else self._response_deadline
        )
        assert deadline is not None
        return deadline

    async def _wait_until(self, deadline: datetime, done: Callable[[], bool]) -> bool:
        """True if `done` (or a recall) came before `deadline`."""
        remaining = max(deadline - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(
                lambda: done() or self._recall is not None, timeout=remaining
            )
        except TimeoutError:
            return False
        return True

    async def _wait_without_deadline(self, done: Callable[[], bool]) -> None:
        while not (done() or self._recall is not None):
            try:
                await workflow.wait_condition(
                    lambda: done() or self._recall is not None, timeout=RECHECK_EVERY
                )
            except TimeoutError:
                self._learn(await self._snapshot())

    async def _deliver(
        self, request: ReferralInput, channels: list[str], action: str, deadline: datetime | None
    ) -> None:
        deliveries = [
            self._record_delivery(request, channel, action, deadline) for channel in channels
        ]
        names = list(channels)
        if self._email:
            deliveries.append(self._deliver_email(request, action, deadline))
            names.append(CHANNEL_EMAIL)
        results = await asyncio.gather(*deliveries, return_exceptions=True)
        for channel, result in zip(names, results, strict=True):
            if isinstance(result, ActivityError):
                # The recipient refused it or never answered; staff see it in the state.
                self._failed_channels.append(f"{action}:{channel}")
            elif isinstance(result, BaseException):
                raise result

    async def _record_delivery(
        self, request: ReferralInput, channel: str, action: str, deadline: datetime | None
    ) -> DeliveryResult:
        """Deliver on a Kafka or webhook channel; for email, record what was sent."""
        result: DeliveryResult = await workflow.execute_activity(
            DELIVER_REFERRAL_ACTIVITY,
            DeliverReferral(
                referral_id=request.referral_id,
                channel=channel,
                action=action,
                idempotency_key=f"{request.referral_id}:{action}:{channel}",
                deadline=deadline,
            ),
            result_type=DeliveryResult,
            task_queue=REFERRALS_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DELIVERY_RETRY,
        )
        return result

    async def _deliver_email(
        self, request: ReferralInput, action: str, deadline: datetime | None
    ) -> DeliveryResult:
        """One email per referral and action (the notifications service's key), then the
        referrals service records it as delivered, as for the other channels."""
        assert request.recipient_email is not None
        await workflow.execute_activity(
            SEND_REFERRAL_EMAIL_ACTIVITY,
            SendReferralEmail(
                referral_id=request.referral_id,
                control_number=request.control_number,
                recipient_id=request.recipient_id,
                recipient_name=request.recipient_name,
                recipient_email=request.recipient_email,
                action=action,
                purpose=request.purpose,
                nature=request.nature,
                deadline=deadline,
                idempotency_key=f"{request.referral_id}:{action}:{CHANNEL_EMAIL}",
            ),
            result_type=ReferralEmailResult,
            task_queue=NOTIFICATIONS_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DELIVERY_RETRY,
        )
        return await self._record_delivery(request, CHANNEL_EMAIL, action, deadline)

    async def _record_step(
        self, step: str, phase: str, number: int, next_deadline: datetime | None
    ) -> ReferralSnapshot:
        snapshot: ReferralSnapshot = await workflow.execute_activity(
            RECORD_REFERRAL_STEP_ACTIVITY,
            RecordReferralStep(
                referral_id=self._referral_id,
                step=step,
                phase=phase,
                number=number,
                at=workflow.now(),
                next_deadline=next_deadline,
            ),
            result_type=ReferralSnapshot,
            task_queue=REFERRALS_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
        )
        self._learn(snapshot)
        return snapshot

    async def _snapshot(self) -> ReferralSnapshot:
        snapshot: ReferralSnapshot = await workflow.execute_activity(
            REFERRAL_SNAPSHOT_ACTIVITY,
            self._referral_id,
            result_type=ReferralSnapshot,
            task_queue=REFERRALS_TASK_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
        )
        return snapshot

    def _learn(self, snapshot: ReferralSnapshot) -> None:
        """Take in what the database knows and a lost signal did not say."""
        self._acknowledged |= snapshot.acknowledged
        self._responded |= snapshot.responded
        self._disposition_received |= snapshot.disposition_received
        if snapshot.recalled and self._recall is None:
            self._recall = RecallReferral(reason="recalled (read from the referral's record)")

    @workflow.signal(name=REFERRAL_ACKNOWLEDGED_SIGNAL)
    def acknowledged(self, request: ReferralAcknowledged) -> None:
        self._acknowledged = True

    @workflow.signal(name=REFERRAL_RESPONDED_SIGNAL)
    def responded(self, request: ReferralResponded) -> None:
        self._responded = True

    @workflow.signal(name=REFERRAL_DISPOSITION_SIGNAL)
    def disposition_received(self, request: ReferralDispositionReceived) -> None:
        self._disposition_received = True

    @workflow.signal(name=RECALL_REFERRAL_SIGNAL)
    def recall(self, request: RecallReferral) -> None:
        if self._recall is None:
            self._recall = request

    @workflow.query(name=REFERRAL_STATE_QUERY)
    def state(self) -> ReferralState:
        return ReferralState(
            referral_id=self._referral_id,
            status=self._status,
            acknowledgement_deadline=self._acknowledgement_deadline,
            response_deadline=self._response_deadline,
            reminders_sent=self._reminders_sent,
            escalations=list(self._escalations),
            failed_channels=list(self._failed_channels),
        )
