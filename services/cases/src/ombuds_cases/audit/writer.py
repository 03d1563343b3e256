"""One writer task per process that batches appends: how the log keeps up with every read.

Every read of a case is audited, so appends are as frequent as reads. One transaction per
append would hold the chain lock across a commit (a disk flush) for every record, capping
the log at a few hundred to a thousand or so appends a second. Here callers queue their
entries and wait; the writer takes everything queued (up to `max_batch`) and appends it in
one transaction under the chain lock, then answers every caller. Under load a batch holds
dozens of records for the price of one commit; when idle a batch is a single record, so
latency stays one commit. The caller still waits for its record to be durable: an access
that cannot be audited fails (503) instead of going unrecorded.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.chain import AuditEntry
from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.store import CheckpointPolicy, append, checkpoint_head_if_unsigned
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import UnavailableError

log = logging.getLogger(__name__)


class AuditUnavailableError(UnavailableError):
    code = "audit_unavailable"


@dataclass
class _Pending:
    entry: AuditEntry
    done: "asyncio.Future[int]"


class AuditWriter:
    """Queue entries with `record`; `run` (a background loop) appends them in batches."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], settings: AuditSettings
    ) -> None:
        self._session_factory = session_factory
        self._policy = CheckpointPolicy(settings.signer(), settings.checkpoint_every)
        self._interval = settings.checkpoint_interval_seconds
        self._max_batch = settings.max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._running = False

    @property
    def policy(self) -> CheckpointPolicy:
        return self._policy

    async def record(self, entry: AuditEntry) -> int:
        """Append `entry` and wait until it is committed; returns its sequence number."""
        if not self._running:
            raise AuditUnavailableError("The audit trail is not running; nothing was done.")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(entry, done))
        return await done

    async def run(self) -> None:
        """Append queued entries until cancelled; sign the newest record on the way out."""
        self._running = True
        last_checkpoint = time.monotonic()
        try:
            while True:
                try:
                    first = await asyncio.wait_for(self._queue.get(), timeout=self._interval)
                except TimeoutError:
                    await self._checkpoint_head()
                    last_checkpoint = time.monotonic()
                    continue
                batch = [first]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                due = time.monotonic() - last_checkpoint >= self._interval
                await self._write(batch, checkpoint_head=due)
                if due:
                    last_checkpoint = time.monotonic()
        finally:
            self._running = False
            await asyncio.shield(self._drain_and_sign())

    async def _write(self, batch: list[_Pending], checkpoint_head: bool = False) -> None:
        try:
            async with UnitOfWork(self._session_factory) as uow:
                sequences = await append(
                    uow.session, [p.entry for p in batch], self._policy, checkpoint_head
                )
                await uow.commit()
        except asyncio.CancelledError:
            self._fail(batch)
            raise
        except Exception:
            log.exception("audit append of %d records failed", len(batch))
            self._fail(batch)
            return
        for pending, sequence in zip(batch, sequences, strict=True):
            if not pending.done.done():
                pending.done.set_result(sequence)

    @staticmethod
    def _fail(batch: list[_Pending]) -> None:
        for pending in batch:
            if not pending.done.done():
                pending.done.set_exception(
                    AuditUnavailableError(
                        "The audit trail could not record this access; nothing was done."
                    )
                )
                # Marked as retrieved, so a caller that has gone away is not logged again.
                pending.done.exception()

    async def _checkpoint_head(self) -> None:
        try:
            async with UnitOfWork(self._session_factory) as uow:
                if await checkpoint_head_if_unsigned(uow.session, self._policy.signer):
                    await uow.commit()
        except Exception:
            log.exception("audit checkpoint failed; the next interval tries again")

    async def _drain_and_sign(self) -> None:
        """Write what is still queued (callers are waiting for it), then sign the head."""
        batch: list[_Pending] = []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        if batch:
            await self._write(batch)
        await self._checkpoint_head()
