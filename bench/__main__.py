"""`make bench`: the whole system on PostgreSQL, measured from the outside.

Prints intake throughput and latency at fixed concurrency, end-to-end latency from the POST to
the acknowledgement in the SMTP sink, and the raw single-row insert rate of the same PostgreSQL,
so the ratio intake / raw shows.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import asyncpg
import httpx

from bench.load import intake_load, percentile, submission
from ombuds_devstack.processes import free_port
from ombuds_devstack.run import PORT_VARIABLES

ROOT = Path(__file__).parents[1]
POSTGRES = os.environ.get(
    "OMBUDS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class MailWatcher:
    """Notices new messages in the sink's Maildir and when each arrived."""

    def __init__(self, maildir: Path) -> None:
        self.new = maildir / "new"
        self.seen: set[str] = set()
        self.arrivals: dict[str, float] = {}

    def poll(self) -> None:
        now = time.perf_counter()
        if not self.new.exists():
            return
        for entry in os.scandir(self.new):
            if entry.name in self.seen:
                continue
            self.seen.add(entry.name)
            with open(entry.path, "rb") as handle:
                number = message_from_bytes(handle.read()).get("X-Ombuds-Control-Number")
            if number:
                self.arrivals[number] = now


async def end_to_end(url: str, maildir: Path, count: int, rate: float) -> list[float]:
    """POST `count` submissions at `rate`/s; time each until its email is in the sink."""
    watcher = MailWatcher(maildir)
    watcher.poll()
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(count):
            started = time.perf_counter()
            response = await client.post(f"{url}/api/v1/submissions", json=submission(10**8 + i))
            response.raise_for_status()
            sent[response.json()["control_number"]] = started
            watcher.poll()
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(sent) <= set(watcher.arrivals):
        watcher.poll()
        await asyncio.sleep(0.02)
    missing = set(sent) - set(watcher.arrivals)
    if missing:
        raise RuntimeError(f"{len(missing)} acknowledgements never arrived")
    return [watcher.arrivals[n] - sent[n] for n in sent]


async def raw_inserts(clients: int, seconds: float) -> int:
    """Single-row autocommit INSERTs into an unlogged-free plain table, `clients` at once."""
    setup = await asyncpg.connect(POSTGRES)
    table = f"bench_raw_{uuid.uuid4().hex[:8]}"
    await setup.execute(
        f"CREATE TABLE {table} (id bigserial primary key, body jsonb, at timestamptz)"
    )
    deadline = time.monotonic() + seconds
    done = 0

    async def loop() -> None:
        nonlocal done
        connection = await asyncpg.connect(POSTGRES)
        body = json.dumps(submission(0))
        try:
            while time.monotonic() < deadline:
                await connection.execute(f"INSERT INTO {table} (body, at) VALUES ($1, now())", body)
                done += 1
        finally:
            await connection.close()

    try:
        await asyncio.gather(*(loop() for _ in range(clients)))
    finally:
        await setup.execute(f"DROP TABLE {table}")
        await setup.close()
    return done


def start_stack(data_dir: Path, database: str) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    ports = {name: free_port() for name in PORT_VARIABLES}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}}
    env.update({"OMBUDS_DATA_DIR": str(data_dir), "DATABASE_URL": database})
    # The load comes from one address at hundreds of posts a second; intake's per-client limit
    # (30 a minute by default) stays in the path but too high to refuse any of them.
    env.update({"INTAKE_RATE_LIMIT_PER_MINUTE": "1000000", "INTAKE_RATE_LIMIT_BURST": "1000000"})
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "SMTP_URL", "TEMPORAL_ADDRESS"):
        env.pop(name, None)
    log = (data_dir / "devstack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ombuds_devstack", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while b"Press Ctrl-C" not in (data_dir / "devstack.log").read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((data_dir / "devstack.log").read_text())
        time.sleep(0.5)
    return process, ports


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the intake process with py-spy during the load and print where time goes",
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--e2e-count", type=int, default=100)
    parser.add_argument("--e2e-rate", type=float, default=5.0, help="submissions per second")
    args = parser.parse_args()

    run_id = uuid.uuid4().hex[:8]
    data_dir = ROOT / ".bench" / run_id
    data_dir.mkdir(parents=True)
    database = POSTGRES.rsplit("/", 1)[0] + f"/ombuds_bench_{run_id}"
    print(f"Starting the system on PostgreSQL ({database}_*) ...", flush=True)
    process, ports = start_stack(data_dir, database)
    intake = f"http://127.0.0.1:{ports['INTAKE_PORT']}"
    try:
        print(f"End to end: {args.e2e_count} submissions at {args.e2e_rate}/s ...", flush=True)
        e2e = await end_to_end(intake, data_dir / "mail", args.e2e_count, args.e2e_rate)
        print(f"Intake load: {args.clients} clients for {args.seconds:.0f} s ...", flush=True)
        sampler = start_profile(data_dir, args.seconds) if args.profile else None
        started = time.perf_counter()
        total, failures, latencies = await intake_load(intake, args.clients, args.seconds)
        elapsed = time.perf_counter() - started
        if sampler is not None:
            sampler.wait(30)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(60)
    print(
        f"Raw PostgreSQL inserts: {args.clients} connections for {args.seconds:.0f} s ...",
        flush=True,
    )
    raw = await raw_inserts(args.clients, args.seconds)

    intake_rate = total / elapsed
    raw_rate = raw / args.seconds
    print()
    print("Ombuds benchmark (PostgreSQL)")
    print(
        f"  intake POST /api/v1/submissions  {intake_rate:8.1f} submissions/s "
        f"({total} in {elapsed:.1f} s, {args.clients} clients, {failures} non-201)"
    )
    print(
        f"  intake latency                  p50 {percentile(latencies, 50) * 1000:7.1f} ms   "
        f"p99 {percentile(latencies, 99) * 1000:7.1f} ms"
    )
    print(
        f"  POST -> acknowledgement in SMTP  p50 {percentile(e2e, 50) * 1000:7.1f} ms   "
        f"p99 {percentile(e2e, 99) * 1000:7.1f} ms   (n={len(e2e)}, mean "
        f"{statistics.mean(e2e) * 1000:.1f} ms)"
    )
    print(f"  raw single-row INSERT            {raw_rate:8.1f} rows/s ({args.clients} connections)")
    print(f"  intake / raw                     {intake_rate / raw_rate:8.2%}")
    await drop_databases(database)
    if args.profile:
        print_profile(data_dir / "intake-profile.txt")


def intake_pid(data_dir: Path) -> int:
    """The intake server the stack in `data_dir` started."""
    marker = f"OMBUDS_DATA_DIR={data_dir}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ombuds_intake.main:create_app" in cmdline and marker in environ:
            return int(entry.name)
    raise RuntimeError("intake process not found")


def start_profile(data_dir: Path, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy samples the intake process (its main thread's stacks) during the load."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            # Without this py-spy pauses intake on every sample and the figures drop by half.
            "--nonblocking",
            "--format",
            "raw",
            "--rate",
            "200",
            "--duration",
            str(int(seconds)),
            "--output",
            str(data_dir / "intake-profile.txt"),
            "--pid",
            str(intake_pid(data_dir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def print_profile(path: Path, top: int = 25) -> None:
    """Inclusive share of samples per function in the event-loop thread, largest first."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")
        if not any("uvicorn/main.py" in frame or "uvicorn/server.py" in frame for frame in frames):
            continue  # idle worker threads
        samples = int(count_text)
        total += samples
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
    print(f"\nWhere intake's event loop spent its samples ({total} samples, {path}):")
    interesting = [
        (samples, frame)
        for frame, samples in inclusive.items()
        if "site-packages" in frame or "ombuds" in frame
    ]
    for samples, frame in sorted(interesting, reverse=True)[:top]:
        print(f"  {samples / max(total, 1):6.1%}  {frame[:110]}")


async def drop_databases(database: str) -> None:
    prefix = database.rsplit("/", 1)[1]
    connection = await asyncpg.connect(POSTGRES)
    try:
        names = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{prefix}_%"
        )
        for row in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
