"""`python -m bench.cases`: the staff queue and case page on 100,000 cases in PostgreSQL.

Creates and migrates a fresh database, loads `--cases` realistic cases (with a status history
row each and notes on a third of them) through COPY, starts the cases service with uvicorn
in its own process (broker and Temporal unreachable: their loops only retry), then measures
p50/p95 at `--clients` concurrent clients of: the queue filtered by status and office, the
queue with a full-text query, and the case page (which also writes an audit record each
time). The target (issue 4) is p95 under 200 ms for each.
"""

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.load import percentile
from ombuds_cases.case.schemas import Office
from ombuds_cases.case.status import STATUSES
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.crypto.keyring import DATA_KEY_BYTES
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.privacy.blind_index import digest, identifiers
from ombuds_cases.privacy.config import default_blind_key
from ombuds_cases.queue.due import due_at_for
from ombuds_devstack.processes import free_port
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.migrations import upgrade_to_head

ROOT = Path(__file__).parents[1]
POSTGRES = os.environ.get(
    "OMBUDS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_P95_MS = 200.0
OFFICES: tuple[str, ...] = tuple(office.value for office in Office)
KINDS = ("complaint",) * 6 + ("question",) * 2 + ("compliment", "tip", "comment")
CHANNELS = ("web",) * 6 + ("phone", "phone", "mail", "fax", "comment_card")
CATEGORIES = ("general", "travel", "trade", "trusted_traveler", "misconduct", "privacy")
PRIORITIES = ("normal",) * 6 + ("low", "high", "high", "urgent")
PORTS = ("San Ysidro", "El Paso", "Laredo", "Blaine", "JFK Terminal 4", "Miami", "Detroit")
FIRST_NAMES = ("Ana", "Ben", "Chen", "Dara", "Emeka", "Fatima", "Greta", "Hiro", "Ines", "Jon")
LAST_NAMES = ("Pérez", "Okafor", "Nguyen", "Smith", "Kowalski", "Haddad", "Silva", "Kim")
# Sentence parts a narrative is drawn from, so full-text queries hit a realistic share.
OPENINGS = (
    "I waited {hours} hours at {port} before anyone spoke to me.",
    "The officer at {port} was rude and refused to explain the secondary inspection.",
    "My shipment of {goods} has been held at {port} for {days} days.",
    "I was charged duty twice on {goods} and want a refund.",
    "My Global Entry interview was cancelled without notice.",
    "Thank you to the officer at {port} who helped my elderly mother.",
    "My phone was searched at {port} and I was not told why.",
    "The kiosk at {port} rejected my passport and nobody could fix it.",
    "I saw what looked like smuggling of {goods} near {port}.",
    "My trusted traveler application has been pending for {days} days.",
)
CLOSINGS = (
    "I would like an explanation.",
    "Please contact me by email.",
    "This has cost me money and time.",
    "I expect a written answer.",
    "",
)
GOODS = ("electronics", "textiles", "auto parts", "medicine", "coffee", "steel", "toys")
NOTE_TEXTS = (
    "Called the submitter; they confirmed the dates and the port.",
    "Requested the inspection log from the port supervisor.",
    "Duty refund is handled by the trade office; routing there.",
    "Submitter sent photos of the receipt; attached to the file.",
    "Reviewed the CCTV request; the footage retention period has passed.",
)
# What the full-text benchmark searches for: common, mid and rare terms.
SEARCHES = ("passport", "refund duty", "rude officer", "smuggling", "global entry", "receipt")


def narrative(rng: random.Random) -> str:
    opening = rng.choice(OPENINGS).format(
        hours=rng.randint(2, 9),
        port=rng.choice(PORTS),
        goods=rng.choice(GOODS),
        days=rng.randint(5, 120),
    )
    return f"{opening} {rng.choice(CLOSINGS)}".strip()


def case_rows(count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    rows = []
    for _ in range(count):
        kind = rng.choice(KINDS)
        received = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
        updated = min(now, received + timedelta(hours=rng.randint(0, 24 * 60)))
        status = rng.choice(STATUSES)
        routed = status not in ("received", "triage")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            (
                new_control_number(),
                "general-2026-11",
                kind,
                rng.choice(CATEGORIES),
                None,
                rng.choice(CHANNELS),
                False,
                first,
                last,
                f"{first.lower()}.{last.lower()}@example.org",
                narrative(rng),
                None,
                rng.choice(PORTS),
                "en",
                "{}",
                status,
                received,
                received,
                updated,
                True,
                rng.choice(OFFICES) if routed else None,
                f"officer{rng.randint(1, 200)}" if routed else None,
                rng.choice(PRIORITIES),
                "[]",
                updated if status in ("closed", "withdrawn") else None,
                due_at_for(kind, received),
            )
        )
    return rows


CASE_COLUMNS = [
    "control_number", "form_version", "kind", "category", "topic", "channel", "anonymous",
    "contact_first_name", "contact_last_name", "contact_email", "narrative", "incident_date",
    "port_of_entry", "language", "details", "status", "received_at", "opened_at", "updated_at",
    "workflow_started", "office", "assignee", "priority", "tags", "closed_at", "due_at",
]  # fmt: skip


def data_keys(numbers: list[str]) -> list[tuple[Any, ...]]:
    """A wrapped data key per case, as opening gives one: without it the service would seal
    every loaded case at start-up (crypto/backfill.py) and the case page would find no key."""
    keyring, now = default_keyring(), datetime.now(UTC)
    keys = []
    for number in numbers:
        key_id = secrets.token_hex(8)
        master_key_id, wrapped = keyring.wrap(os.urandom(DATA_KEY_BYTES), number, key_id)
        keys.append((number, key_id, master_key_id, wrapped, now))
    return keys


def person_index(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The blind-index digests opening gives each case: without them the service would index
    every loaded case in the background while the bench measures (privacy/indexer.py)."""
    key, index = default_blind_key(), []
    for row in rows:
        number, first, last, email = row[0], row[7], row[8], row[9]
        for term, value in identifiers(first, last, email, {}, {}):
            hashed = digest(key, term, value)
            if hashed is not None:
                index.append((number, term, hashed))
    return index


async def load_cases(url: str, count: int) -> list[str]:
    """COPY `count` cases, a status row each and notes on a third; returns the numbers."""
    rng = random.Random(4)
    connection = await asyncpg.connect(url)
    try:
        rows = case_rows(count, rng)
        await connection.copy_records_to_table("cases", records=rows, columns=CASE_COLUMNS)
        ids = await connection.fetch("SELECT id, status, received_at FROM cases")
        await connection.copy_records_to_table(
            "case_data_keys",
            records=data_keys([row[0] for row in rows]),
            columns=["control_number", "key_id", "master_key_id", "wrapped_key", "created_at"],
        )
        await connection.copy_records_to_table(
            "person_index",
            records=person_index(rows),
            columns=["control_number", "term", "digest"],
        )
        await connection.copy_records_to_table(
            "status_changes",
            records=[
                (r["id"], None, r["status"], "loaded", "opened", r["received_at"]) for r in ids
            ],
            columns=["case_id", "from_status", "to_status", "reason", "step", "changed_at"],
        )
        notes = [
            (r["id"], "review", rng.choice(NOTE_TEXTS), "bench", r["received_at"])
            for r in ids
            if rng.random() < 1 / 3
        ]
        await connection.copy_records_to_table(
            "case_notes",
            records=notes,
            columns=["case_id", "stage", "text", "author", "created_at"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return [row[0] for row in rows]


def start_cases(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "CASES_DATABASE_URL": url,
        "CASES_RUN_WORKER": "false",
        # Nothing listens there: the relay, consumer and Temporal connection only retry.
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "OTEL_TRACES_EXPORTER": "none",
    }
    log = (data_dir / "cases.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "ombuds_cases.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((data_dir / "cases.log").read_text())
        time.sleep(0.3)


async def measure(
    base: str, clients: int, requests: int, path_of: Callable[[random.Random], str]
) -> tuple[list[float], int]:
    """`requests` GETs spread over `clients` concurrent clients; latencies and failures."""
    latencies: list[float] = []
    failures = 0
    headers = {"Authorization": "Bearer dev-staff-token"}

    async def client(seed: int) -> None:
        nonlocal failures
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            for _ in range(requests // clients):
                started = time.perf_counter()
                response = await http.get(path_of(rng))
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 200

    await asyncio.gather(*(client(seed) for seed in range(clients)))
    return latencies, failures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800, help="per measurement")
    args = parser.parse_args()

    run_id = uuid.uuid4().hex[:8]
    name = f"ombuds_bench_cases_{run_id}"
    data_dir = ROOT / ".bench" / name
    data_dir.mkdir(parents=True)
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    process: subprocess.Popen[bytes] | None = None
    try:
        print(f"Migrating {name} and loading {args.cases:,} cases ...", flush=True)
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        started = time.perf_counter()
        numbers = await load_cases(url, args.cases)
        print(f"  loaded in {time.perf_counter() - started:.1f} s", flush=True)
        process, base = await asyncio.to_thread(start_cases, url, data_dir)
        measurements: dict[str, Callable[[random.Random], str]] = {
            "queue, status + office filter": lambda rng: (
                f"/api/v1/cases?status={rng.choice(STATUSES[2:])}&office={rng.choice(OFFICES)}"
            ),
            "queue, full-text query": lambda rng: (
                f"/api/v1/cases?q={rng.choice(SEARCHES).replace(' ', '+')}"
            ),
            "case page (audited read)": lambda rng: f"/api/v1/cases/{rng.choice(numbers)}",
        }
        # Warm the connection pools and caches first, as a running service would be.
        await measure(base, args.clients, args.clients * 4, next(iter(measurements.values())))
        load_before = os.getloadavg()[0]
        results = []
        for label, path_of in measurements.items():
            latencies, failures = await measure(base, args.clients, args.requests, path_of)
            # One client alone: the service's own latency, without queueing behind the others.
            alone, _ = await measure(base, 1, max(args.requests // 8, 20), path_of)
            results.append((label, latencies, failures, alone))
        load_after = os.getloadavg()[0]
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    print()
    print(f"Cases benchmark (PostgreSQL, {args.cases:,} cases, {args.clients} clients)")
    met = True
    for label, latencies, failures, alone in results:
        p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
        met = met and p95 < TARGET_P95_MS and failures == 0
        print(
            f"  {label:32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
            f"(n={len(latencies)}, {failures} non-200; one client alone: p50 "
            f"{percentile(alone, 50) * 1000:.1f} ms, p95 {percentile(alone, 95) * 1000:.1f} ms)"
        )
    # The figures move with whatever else the machine runs: say how busy it was.
    print(f"  machine: {os.cpu_count()} CPUs, load average {load_before:.1f} -> {load_after:.1f}")
    print(f"target p95 < {TARGET_P95_MS:.0f} ms for each: {'met' if met else 'NOT met'}")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
