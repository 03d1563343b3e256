"""`python -m bench.referrals`: referrals end to end on the dev stack (issue 5).

Starts the whole system on PostgreSQL as `make run` does (Temporal dev server, Tansu, the four
services, the workflow worker), posts `--count` complaints through intake and waits until
each case's CaseLifecycle has moved it to triage. Then staff refer every case to CRCL from
the cases API (`POST /api/v1/cases/{n}/referrals`); the referrals service makes each referral
from the case's event and starts its Referral workflow; CRCL acknowledges, responds and gives
its disposition through the agency API, which ends the workflow. Prints Referral workflows
completed per second (from the first referral asked to the last workflow completed), the
workflow worker's resident memory before and after, and the history length of a typical
case's Referral and CaseLifecycle workflows (target: under 200 events).
"""

import argparse
import asyncio
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from bench.__main__ import POSTGRES, ROOT, drop_databases, start_stack
from bench.load import submission
from ombuds_shared.contracts import case_workflow_id, referral_workflow_id
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.temporal import connect_temporal

STAFF = {"Authorization": "Bearer dev-staff-token"}
TARGET_HISTORY_EVENTS = 200
RECIPIENT = "crcl"


async def in_parallel(
    items: Iterable[str], clients: int, work: Callable[[str], Awaitable[None]]
) -> None:
    """Run `work` over `items`, `clients` at a time."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def loop() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    await asyncio.gather(*(loop() for _ in range(clients)))


async def retrying(
    call: Callable[[], Awaitable[httpx.Response]], ok: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """Call until `ok` (the thing is not there yet: an event still on its way behind a
    thousand others on a busy machine)."""
    deadline = time.monotonic() + 1800
    while True:
        response = await call()
        if ok(response):
            return response
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up: {response.status_code} {response.text[:300]}")
        await asyncio.sleep(0.2)


def worker_rss_kib(data_dir: Path) -> int:
    """VmRSS of the workflow worker the stack in `data_dir` started."""
    marker = f"OMBUDS_DATA_DIR={data_dir}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if b"ombuds_workflows.worker" in cmdline and marker in environ:
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    raise RuntimeError("workflow worker not found")


async def open_cases(intake: str, cases: httpx.AsyncClient, count: int, clients: int) -> list[str]:
    """Post `count` complaints; wait until every case is in triage (acknowledged)."""
    numbers: list[str] = []
    async with httpx.AsyncClient(base_url=intake, timeout=30) as client:

        async def post(i: str) -> None:
            response = await client.post("/api/v1/submissions", json=submission(int(i)))
            response.raise_for_status()
            numbers.append(response.json()["control_number"])

        await in_parallel((str(10**9 + i) for i in range(count)), clients, post)

    async def in_triage(number: str) -> None:
        await retrying(
            lambda: cases.get(f"/api/v1/cases/{number}"),
            lambda r: r.status_code == 200 and r.json()["status"] == "triage",
        )

    await in_parallel(numbers, clients, in_triage)
    return numbers


async def refer_all(cases: httpx.AsyncClient, numbers: list[str], clients: int) -> list[str]:
    """Staff refer each case to CRCL from the cases API; the referral ids the cases chose."""
    referral_ids: list[str] = []

    async def one(number: str) -> None:
        response = await cases.post(
            f"/api/v1/cases/{number}/referrals",
            json={"recipient_id": RECIPIENT, "purpose": "benchmark civil rights review"},
        )
        response.raise_for_status()
        referral_ids.append(response.json()["referrals"][-1]["referral_id"])

    await in_parallel(numbers, clients, one)
    return referral_ids


async def answer_all(
    referrals: httpx.AsyncClient, referral_ids: list[str], clients: int, key: dict[str, str]
) -> None:
    """CRCL acknowledges, responds and gives its disposition through the agency API."""

    async def one(referral_id: str) -> None:
        base = f"/api/v1/agency/referrals/{referral_id}"
        # 404 until the referrals service has consumed the case's request.
        await retrying(
            lambda: referrals.post(f"{base}/acknowledge", headers=key),
            lambda r: r.status_code == 200,
        )
        for path, body in (
            ("response", {"text": "Looking into it."}),
            ("disposition", {"disposition": "Resolved by CRCL."}),
        ):
            answered = await referrals.post(f"{base}/{path}", json=body, headers=key)
            answered.raise_for_status()

    await in_parallel(referral_ids, clients, one)


async def completed(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="cases, one referral each")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    args = parser.parse_args()

    run_id = uuid.uuid4().hex[:8]
    data_dir = ROOT / ".bench" / run_id
    data_dir.mkdir(parents=True)
    database = POSTGRES.rsplit("/", 1)[0] + f"/ombuds_bench_{run_id}"
    print(f"Starting the system on PostgreSQL ({database}_*) ...", flush=True)
    process, ports = start_stack(data_dir, database)
    url = "http://127.0.0.1:{}".format
    figures: dict[str, Any] = {}
    try:
        temporal = await connect_temporal(
            PlatformSettings(temporal_address=f"127.0.0.1:{ports['TEMPORAL_PORT']}")
        )
        async with (
            httpx.AsyncClient(
                base_url=url(ports["CASES_PORT"]), headers=STAFF, timeout=30
            ) as cases,
            httpx.AsyncClient(base_url=url(ports["REFERRALS_PORT"]), timeout=30) as referrals,
        ):
            print(f"Opening {args.count} cases through intake ...", flush=True)
            started = time.perf_counter()
            numbers = await open_cases(url(ports["INTAKE_PORT"]), cases, args.count, args.clients)
            figures["opened_s"] = time.perf_counter() - started
            figures["rss_before"] = worker_rss_kib(data_dir)
            issued = await referrals.post(
                f"/api/v1/admin/directory/{RECIPIENT}/api-keys", headers=STAFF
            )
            issued.raise_for_status()
            key = {"Authorization": f"Bearer {issued.json()['api_key']}"}

            print(f"Referring {len(numbers)} cases to CRCL and answering each ...", flush=True)
            started = time.perf_counter()
            referral_ids = await refer_all(cases, numbers, args.clients)
            figures["asked_s"] = time.perf_counter() - started
            await answer_all(referrals, referral_ids, args.clients, key)
            query = 'WorkflowType = "Referral" AND ExecutionStatus = "Completed"'
            deadline = time.monotonic() + 600
            while (done := await completed(temporal, query)) < len(referral_ids):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {done} of {len(referral_ids)} workflows completed")
                await asyncio.sleep(0.5)
            figures["referred_s"] = time.perf_counter() - started
            figures["rss_after"] = worker_rss_kib(data_dir)

            typical = numbers[len(numbers) // 2]
            referral_id = referral_ids[len(referral_ids) // 2]
            referral_history = await temporal.get_workflow_handle(
                referral_workflow_id(referral_id)
            ).fetch_history()
            case_history = await temporal.get_workflow_handle(
                case_workflow_id(typical)
            ).fetch_history()
            figures["referral_events"] = len(referral_history.events)
            figures["case_events"] = len(case_history.events)

            async def resolved(number: str) -> bool:
                case = (await cases.get(f"/api/v1/cases/{number}")).json()
                return bool(case["status"] == "resolved")

            sample = numbers[:: max(1, len(numbers) // 20)]
            await asyncio.sleep(2)  # the last disposition events are on their way to cases
            figures["resolved"] = sum([await resolved(n) for n in sample])
            figures["sampled"] = len(sample)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(60)
        await drop_databases(database)

    count = args.count
    print()
    print("Referrals benchmark (dev stack, PostgreSQL)")
    print(f"  cases opened and acknowledged    {count} in {figures['opened_s']:.1f} s")
    print(f"  referrals asked from the cases API {count / figures['asked_s']:6.1f} /s")
    print(
        f"  Referral workflows completed     {count / figures['referred_s']:8.1f} /s "
        f"({count} in {figures['referred_s']:.1f} s: refer, acknowledge, respond, dispose)"
    )
    print(
        f"  workflow worker RSS              {figures['rss_before'] / 1024:8.1f} MiB before, "
        f"{figures['rss_after'] / 1024:.1f} MiB after"
    )
    for name, figure in (("Referral", "referral_events"), ("CaseLifecycle", "case_events")):
        verdict = "ok" if figures[figure] < TARGET_HISTORY_EVENTS else "OVER TARGET"
        print(
            f"  {name + ' history':<32} {figures[figure]:8d} events "
            f"(target < {TARGET_HISTORY_EVENTS}: {verdict})"
        )
    print(f"  cases resolved by the disposition {figures['resolved']}/{figures['sampled']} sampled")


if __name__ == "__main__":
    asyncio.run(main())
