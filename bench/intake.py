"""Intake's own throughput: the public API on PostgreSQL with its broker, nothing else running.

`python -m bench.intake` starts the embedded broker, a fresh PostgreSQL database and intake
(`--workers` uvicorn processes), posts the full complaint payload from `--clients` keep-alive
connections for `--seconds`, and prints throughput, latency and intake's CPU per submission
(the figure that least depends on what else the machine is doing).
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench.load import intake_load, percentile
from ombuds_devstack.processes import ManagedProcess, free_port, start_broker, wait_for_port

POSTGRES = os.environ.get(
    "OMBUDS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class IntakeFigures:
    rate: float
    total: int
    failures: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_submission: float


def _process_tree_cpu_seconds(root: int) -> float:
    """User + system CPU of `root` and its children (uvicorn's worker processes)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == root or parent == root:
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


async def _create_database() -> str:
    name = f"ombuds_bench_intake_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{POSTGRES.rsplit('/', 1)[0]}/{name}"


async def _drop_database(url: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


async def _wait_healthy(url: str, process: ManagedProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if not process.running:
                raise RuntimeError(f"intake exited:\n{process.tail()}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"intake did not become healthy:\n{process.tail()}")


async def measure_intake(clients: int, seconds: float, workers: int) -> IntakeFigures:
    """Start broker, database and intake; load it; stop everything; return the figures."""
    database = await _create_database()
    work = Path(tempfile.mkdtemp(prefix="ombuds-bench-intake-"))
    kafka_port, intake_port = free_port(), free_port()
    broker = start_broker(work / "logs", kafka_port)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
        "INTAKE_DATABASE_URL": database,
        "INTAKE_ATTACHMENTS_DIR": str(work / "attachments"),
        # One address posts hundreds a second: keep the limiter in the path but out of the way.
        "INTAKE_RATE_LIMIT_PER_MINUTE": "1000000",
        "INTAKE_RATE_LIMIT_BURST": "1000000",
        "OTEL_TRACES_EXPORTER": os.environ.get("OTEL_TRACES_EXPORTER", "none"),
    }
    intake: ManagedProcess | None = None
    try:
        wait_for_port(broker, kafka_port)
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "ombuds_intake.migrate"],
            env=env,
            check=True,
            cwd=work,
        )
        intake = ManagedProcess(
            "intake",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ombuds_intake.main:create_app",
                "--factory",
                "--port",
                str(intake_port),
                "--no-access-log",
                "--workers",
                str(workers),
            ],
            work / "logs",
            env,
        )
        url = f"http://127.0.0.1:{intake_port}"
        await _wait_healthy(url, intake)
        await intake_load(url, clients, 2)  # warm up connections, caches and the pool
        cpu_before = _process_tree_cpu_seconds(intake.process.pid)
        started = time.perf_counter()
        total, failures, latencies = await intake_load(url, clients, seconds)
        elapsed = time.perf_counter() - started
        cpu = _process_tree_cpu_seconds(intake.process.pid) - cpu_before
    finally:
        if intake is not None:
            intake.stop()
        broker.stop()
        await _drop_database(database)
    return IntakeFigures(
        rate=total / elapsed,
        total=total,
        failures=failures,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        cpu_ms_per_submission=cpu / max(total, 1) * 1000,
    )


def report(figures: IntakeFigures, clients: int, workers: int) -> str:
    return (
        f"  intake alone (broker + PostgreSQL, {workers} worker(s), {clients} clients)\n"
        f"    throughput    {figures.rate:8.1f} submissions/s ({figures.total}, "
        f"{figures.failures} non-201)   target >= 500\n"
        f"    latency       p50 {figures.p50_ms:7.1f} ms   p99 {figures.p99_ms:7.1f} ms   "
        f"target p99 < 100 ms\n"
        f"    intake CPU    {figures.cpu_ms_per_submission:8.2f} ms per submission"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    figures = asyncio.run(measure_intake(args.clients, args.seconds, args.workers))
    print(report(figures, args.clients, args.workers))


if __name__ == "__main__":
    main()
