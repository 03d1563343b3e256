"""The signal outbox: workflow signals staged with the change, sent after commit until taken.

A staff close or a submitter's withdrawal is committed with a `pending_signals` row; the
sender delivers it to the case's CaseLifecycle once Temporal answers, so a signal decided
while Temporal is down is delivered when it is back, not lost. A `store_cleared` (another
service's purge confirmation, retention/forwarding.py) goes to the case's Retention instead.
"""

import asyncio
import contextlib
import logging
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.models import Case
from ombuds_cases.retention import schedule
from ombuds_cases.retention.starter import follow_lifecycle_signal
from ombuds_shared.contracts import (
    CLOSE_CASE_SIGNAL,
    INFORMATION_RECEIVED_SIGNAL,
    REOPEN_CASE_SIGNAL,
    REQUEST_INFORMATION_SIGNAL,
    STATUS_CHANGED_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    CloseCase,
    Contract,
    InformationReceived,
    ReopenCase,
    RequestInformation,
    StatusChanged,
    WithdrawCase,
    case_workflow_id,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import UnavailableError
from ombuds_shared.retention_contracts import (
    DEFAULT_RETENTION_YEARS,
    LIFT_HOLD_SIGNAL,
    PLACE_HOLD_SIGNAL,
    STORE_CLEARED_SIGNAL,
    LiftHold,
    PlaceHold,
    RetentionContract,
    StoreCleared,
    retention_workflow_id,
)
from ombuds_shared.tasks import raise_if_cancelling

log = logging.getLogger(__name__)


class TemporalClientSource(Protocol):
    """Where the client comes from (the service's TemporalConnection); raises while down."""

    @property
    def client(self) -> Client: ...


SIGNAL_MODELS: dict[str, type[BaseModel]] = {
    CLOSE_CASE_SIGNAL: CloseCase,
    REOPEN_CASE_SIGNAL: ReopenCase,
    WITHDRAW_CASE_SIGNAL: WithdrawCase,
    STORE_CLEARED_SIGNAL: StoreCleared,
    STATUS_CHANGED_SIGNAL: StatusChanged,
    # The running CaseLifecycle may not handle these yet: Temporal buffers a signal that has
    # no handler (the send still succeeds), so the pending row is marked delivered either way.
    REQUEST_INFORMATION_SIGNAL: RequestInformation,
    INFORMATION_RECEIVED_SIGNAL: InformationReceived,
}
# Signals for the case's Retention (`retention-<n>`); every other one is for `case-<n>`.
RETENTION_SIGNALS = frozenset({STORE_CLEARED_SIGNAL})

# Signals for the case's Retention run travel through the same outbox under this prefix.
RETENTION_PREFIX = "retention:"
RETENTION_SIGNAL_MODELS: dict[str, type[RetentionContract]] = {
    PLACE_HOLD_SIGNAL: PlaceHold,
    LIFT_HOLD_SIGNAL: LiftHold,
}


def target_workflow_id(control_number: str, signal: str) -> str:
    if signal in RETENTION_SIGNALS:
        return retention_workflow_id(control_number)
    return case_workflow_id(control_number)


def queue_signal(
    session: AsyncSession, control_number: str, signal: str, body: Contract | StoreCleared
) -> None:
    """Stage a signal for the case's workflow in the caller's transaction."""
    if signal not in SIGNAL_MODELS:
        raise ValueError(f"unknown workflow signal {signal}")
    session.add(
        PendingSignal(
            control_number=control_number,
            signal=signal,
            payload=body.model_dump(mode="json"),
            created_at=utcnow(),
        )
    )


def queue_retention_signal(
    session: AsyncSession, control_number: str, signal: str, body: RetentionContract
) -> None:
    """Stage a signal for the case's Retention run (a legal hold) in the caller's transaction."""
    if signal not in RETENTION_SIGNAL_MODELS:
        raise ValueError(f"unknown Retention signal {signal}")
    session.add(
        PendingSignal(
            control_number=control_number,
            signal=RETENTION_PREFIX + signal,
            payload=body.model_dump(mode="json"),
            created_at=utcnow(),
        )
    )


class SignalSender:
    """Sends pending signals in the order they were decided; one sender per service."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        temporal: TemporalClientSource,
        idle_seconds: float = 1.0,
        retention_years: int = DEFAULT_RETENTION_YEARS,
    ) -> None:
        self._session_factory = session_factory
        self._retention_years = retention_years
        self._temporal = temporal
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def notify(self) -> None:
        """Send now rather than at the next poll (called after a commit that staged one)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending workflow signals failed; retrying")
                raise_if_cancelling()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle_seconds)

    async def flush(self) -> int:
        """Send every pending signal whose workflow has started; stop at Temporal being down."""
        async with self._lock:
            sent = 0
            async with UnitOfWork(self._session_factory) as uow:
                rows = list(
                    (
                        await uow.session.scalars(
                            select(PendingSignal)
                            .join(Case, Case.control_number == PendingSignal.control_number)
                            .where(PendingSignal.sent_at.is_(None), Case.workflow_started)
                            .order_by(PendingSignal.id)
                            .limit(100)
                        )
                    ).all()
                )
                for row in rows:
                    outcome = await self._send(row)
                    if outcome is None:
                        break
                    row.sent_at = utcnow()
                    row.outcome = outcome
                    untold = await schedule.follow_signal(
                        uow.session,
                        row.control_number,
                        row.signal,
                        row.created_at,
                        self._retention_years,
                    )
                    for hold in untold:  # a hold from before a reopening still stands
                        queue_retention_signal(
                            uow.session,
                            row.control_number,
                            PLACE_HOLD_SIGNAL,
                            PlaceHold(reason=hold.reason, by=hold.placed_by),
                        )
                    # One commit per signal: a crash after a send repeats only that one.
                    await uow.commit()
                    sent += 1
            return sent

    async def _send(self, row: PendingSignal) -> str | None:
        """The outcome to record, or None if Temporal could not be reached (try again later)."""
        try:
            client = self._temporal.client
            if row.signal.startswith(RETENTION_PREFIX):
                name = row.signal.removeprefix(RETENTION_PREFIX)
                hold = RETENTION_SIGNAL_MODELS[name].model_validate(row.payload)
                handle = client.get_workflow_handle(retention_workflow_id(row.control_number))
                await handle.signal(name, hold)
                return "delivered"
            body = SIGNAL_MODELS[row.signal].model_validate(row.payload)
            # Retention first: repeating it is harmless, repeating a lifecycle signal is not.
            await follow_lifecycle_signal(
                client, row.control_number, row.signal, row.created_at, self._retention_years
            )
            handle = client.get_workflow_handle(target_workflow_id(row.control_number, row.signal))
            await handle.signal(row.signal, body)
        except UnavailableError:
            return None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                # The workflow has ended (its reopen window passed): the database change
                # stands; the signal has nowhere to go.
                log.warning("%s for %s: workflow not running", row.signal, row.control_number)
                return "workflow not running"
            log.warning("Temporal refused %s for %s: %s", row.signal, row.control_number, error)
            return None
        except RuntimeError as error:
            log.warning("Temporal unreachable for %s: %s", row.signal, error)
            return None
        return "delivered"
