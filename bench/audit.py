"""`python -m bench.audit`: how fast the audit trail appends on PostgreSQL.

Migrates a fresh database, then `--clients` concurrent callers each record one audit entry
after another for `--seconds`, through the batching writer the cases service runs; prints
appends/s and append latency (from `record()` until the record is committed). For contrast
it then measures one transaction per append (the chain lock held across every commit),
and finally checks that the chain it wrote verifies.
"""

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from ombuds_cases.audit.chain import AuditEntry
from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.store import CheckpointPolicy, append
from ombuds_cases.audit.verify import verify_database
from ombuds_cases.audit.writer import AuditWriter
from ombuds_cases.migrate import MIGRATIONS
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.migrations import upgrade_to_head

POSTGRES = os.environ.get(
    "OMBUDS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_APPENDS_PER_SECOND = 2000


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def read_entry(i: int) -> AuditEntry:
    return AuditEntry(
        actor="bench-officer",
        actor_role="case_officer",
        action="read",
        record_type="case",
        record_id=f"BENCH-{i}",
        outcome="success",
        fields=("narrative", "contact.email", "contact.first_name", "status", "status_history"),
        client_address="10.1.2.3",
    )


async def load(
    clients: int, seconds: float, append_one: Callable[[AuditEntry], Awaitable[object]]
) -> tuple[int, list[float], float]:
    """Appends done, each one's latency (s), and the elapsed time."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await append_one(read_entry(i))
            latencies.append(time.perf_counter() - started)
            i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, time.perf_counter() - started


def report(label: str, count: int, latencies: list[float], elapsed: float) -> float:
    rate = count / elapsed
    print(
        f"{label}: {count} appends in {elapsed:.1f} s = {rate:,.0f} appends/s; "
        f"latency p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms"
    )
    return rate


async def measure(url: str, clients: int, seconds: float) -> bool:
    settings = AuditSettings()
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    writer = AuditWriter(sessions, settings)
    loop = asyncio.create_task(writer.run())
    await asyncio.sleep(0)
    try:
        batched = report(
            f"audit appends, batching writer, {clients} clients",
            *await load(clients, seconds, writer.record),
        )
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    policy = CheckpointPolicy(settings.signer(), settings.checkpoint_every)

    async def one_per_transaction(entry: AuditEntry) -> None:
        async with UnitOfWork(sessions) as uow:
            await append(uow.session, [entry], policy)
            await uow.commit()

    report(
        f"for contrast, one transaction per append, {clients} clients",
        *await load(clients, min(seconds, 5), one_per_transaction),
    )
    await engine.dispose()

    verified = await verify_database(url, settings)
    print(
        f"verify: {'intact' if verified.intact else 'TAMPERED'}, {verified.records} records, "
        f"{verified.checkpoints} checkpoints"
    )
    met = batched >= TARGET_APPENDS_PER_SECOND
    print(
        f"target {TARGET_APPENDS_PER_SECOND:,} appends/s: "
        f"{'met' if met else 'NOT met'} ({batched / TARGET_APPENDS_PER_SECOND:.1f}x)"
    )
    return met and verified.intact


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    name = f"ombuds_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        ok = await measure(url, args.clients, args.seconds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
