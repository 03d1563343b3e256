"""Retention (id `retention-<control number>`): keep a closed case five years, then purge it.

Sleeps until closure plus the retention period; while a legal hold stands it does not purge,
and a hold lifted after the due date purges at once. Reopening the case cancels the run. On
expiry it asks the cases service to archive the case (which tells every other service to purge
its copy), waits for each service's `store_cleared` confirmation, then has the cases service
issue the deletion certificate. This workflow lives five years across many releases: keep it
tiny, and put any change behind `workflow.patched(...)` with a replay test.
"""

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from ombuds_shared.contracts import CASES_TASK_QUEUE
    from ombuds_shared.retention_contracts import (
        ARCHIVE_CASE_ACTIVITY,
        CANCEL_RETENTION_SIGNAL,
        ISSUE_DELETION_CERTIFICATE_ACTIVITY,
        LIFT_HOLD_SIGNAL,
        PLACE_HOLD_SIGNAL,
        RETENTION_STATE_QUERY,
        RETENTION_WORKFLOW,
        STORE_CLEARED_SIGNAL,
        ArchiveCase,
        ArchiveResult,
        CancelRetention,
        CertificateResult,
        HoldRecord,
        IssueDeletionCertificate,
        LiftHold,
        PlaceHold,
        RetentionInput,
        RetentionState,
        StoreCleared,
    )

# The cases database comes back; keep trying, never faster than every 5 minutes.
ARCHIVE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
CASES_SERVICE = "cases"


def add_years(moment: datetime, years: int) -> datetime:
    """`moment` plus whole calendar years; 29 February falls on 28 February in other years."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


@workflow.defn(name=RETENTION_WORKFLOW)
class Retention:
    def __init__(self) -> None:
        self._control_number = ""
        self._status = "waiting"
        self._due_at: datetime | None = None
        self._holds: list[HoldRecord] = []
        self._cancelled: CancelRetention | None = None
        self._cleared: dict[str, dict[str, int]] = {}
        self._certificate_id: str | None = None

    @workflow.run
    async def run(self, request: RetentionInput) -> RetentionState:
        self._control_number = request.control_number
        self._due_at = add_years(request.closed_at, request.period_years)
        await self._wait_until_due(self._due_at)
        if self._cancelled is not None:
            self._status = "cancelled"
            return self.state()

        self._status = "archiving"
        archived: ArchiveResult = await workflow.execute_activity(
            ARCHIVE_CASE_ACTIVITY,
            ArchiveCase(control_number=request.control_number),
            result_type=ArchiveResult,
            task_queue=CASES_TASK_QUEUE,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=ARCHIVE_RETRY,
        )
        self._cleared[CASES_SERVICE] = dict(archived.manifest)
        self._status = "awaiting_confirmations"
        expected = set(archived.services) | {CASES_SERVICE}
        await workflow.wait_condition(lambda: expected <= self._cleared.keys())

        certificate: CertificateResult = await workflow.execute_activity(
            ISSUE_DELETION_CERTIFICATE_ACTIVITY,
            IssueDeletionCertificate(
                control_number=request.control_number, manifests=dict(self._cleared)
            ),
            result_type=CertificateResult,
            task_queue=CASES_TASK_QUEUE,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=ARCHIVE_RETRY,
        )
        self._certificate_id = certificate.certificate_id
        self._status = "certified"
        return self.state()

    def _held(self) -> bool:
        return any(hold.lifted_at is None for hold in self._holds)

    async def _wait_until_due(self, due_at: datetime) -> None:
        """Return at the due date with no hold standing, or as soon as the run is cancelled."""
        while self._cancelled is None:
            if self._held():
                self._status = "held"
                await workflow.wait_condition(
                    lambda: not self._held() or self._cancelled is not None
                )
                self._status = "waiting"
                continue
            remaining = due_at - workflow.now()
            if remaining <= timedelta(0):
                return
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._held() or self._cancelled is not None, timeout=remaining
                )

    @workflow.signal(name=PLACE_HOLD_SIGNAL)
    def place_hold(self, request: PlaceHold) -> None:
        if self._status in ("waiting", "held"):
            self._holds.append(
                HoldRecord(reason=request.reason, placed_by=request.by, placed_at=workflow.now())
            )

    @workflow.signal(name=LIFT_HOLD_SIGNAL)
    def lift_hold(self, request: LiftHold) -> None:
        """Lift every standing hold: the records officer decides that the matter is over."""
        self._holds = [
            hold
            if hold.lifted_at is not None
            else hold.model_copy(update={"lifted_by": request.by, "lifted_at": workflow.now()})
            for hold in self._holds
        ]

    @workflow.signal(name=CANCEL_RETENTION_SIGNAL)
    def cancel(self, request: CancelRetention) -> None:
        # Once archiving has begun the purge goes to the end: a half-purged case is worse.
        if self._status in ("waiting", "held") and self._cancelled is None:
            self._cancelled = request

    @workflow.signal(name=STORE_CLEARED_SIGNAL)
    def store_cleared(self, request: StoreCleared) -> None:
        self._cleared.setdefault(request.service, dict(request.manifest))

    @workflow.query(name=RETENTION_STATE_QUERY)
    def state(self) -> RetentionState:
        return RetentionState(
            control_number=self._control_number,
            status=self._status,
            due_at=self._due_at,
            holds=list(self._holds),
            cleared=dict(self._cleared),
            certificate_id=self._certificate_id,
        )
