"""`python -m ombuds_devstack run` (what `make run` calls): the whole system on one machine.

Starts the Temporal dev server with its UI, the Tansu broker (unless KAFKA_BOOTSTRAP_SERVERS
is set), an SMTP sink (unless SMTP_URL is set), applies every service's migrations (SQLite
files unless DATABASE_URL is set), then the four services and the workflow worker. Ctrl-C
stops all of it.
"""

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import URL, make_url

from ombuds_devstack.processes import (
    ManagedProcess,
    start_broker,
    start_smtp_sink,
    start_temporal,
    wait_for_port_async,
)

SERVICES = ("intake", "cases", "referrals", "notifications")
DEFAULT_SERVICE_PORTS = {"intake": 8000, "cases": 8001, "referrals": 8002, "notifications": 8003}
# Every port the stack listens on is one of these environment variables.
PORT_VARIABLES = (
    *(f"{svc.upper()}_PORT" for svc in SERVICES),
    "TEMPORAL_PORT",
    "TEMPORAL_UI_PORT",
    "KAFKA_PORT",
    "SMTP_PORT",
)


@dataclass
class StackConfig:
    data_dir: Path
    host: str
    service_ports: dict[str, int]
    temporal_port: int
    temporal_ui_port: int
    kafka_port: int
    smtp_port: int
    external_kafka: str | None
    external_smtp: str | None
    external_temporal: str | None
    database_url: str | None
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "StackConfig":
        def port(name: str, default: int) -> int:
            return int(env.get(name, default))

        return cls(
            data_dir=Path(env.get("OMBUDS_DATA_DIR", ".data")).resolve(),
            host=env.get("OMBUDS_HOST", "127.0.0.1"),
            service_ports={
                svc: port(f"{svc.upper()}_PORT", default)
                for svc, default in DEFAULT_SERVICE_PORTS.items()
            },
            temporal_port=port("TEMPORAL_PORT", 7233),
            temporal_ui_port=port("TEMPORAL_UI_PORT", 8233),
            kafka_port=port("KAFKA_PORT", 9092),
            smtp_port=port("SMTP_PORT", 1025),
            external_kafka=env.get("KAFKA_BOOTSTRAP_SERVERS"),
            external_smtp=env.get("SMTP_URL"),
            external_temporal=env.get("TEMPORAL_ADDRESS"),
            database_url=env.get("DATABASE_URL"),
            env=env,
        )

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def kafka_bootstrap(self) -> str:
        return self.external_kafka or f"127.0.0.1:{self.kafka_port}"

    @property
    def smtp_url(self) -> str:
        return self.external_smtp or f"smtp://127.0.0.1:{self.smtp_port}"

    @property
    def temporal_address(self) -> str:
        return self.external_temporal or f"127.0.0.1:{self.temporal_port}"


def service_database_urls(config: StackConfig) -> dict[str, str]:
    """One database per service: `<name>_<service>` on PostgreSQL, a file each on SQLite."""
    urls: dict[str, str] = {}
    for svc in SERVICES:
        explicit = config.env.get(f"{svc.upper()}_DATABASE_URL")
        if explicit:
            urls[svc] = explicit
        elif config.database_url is None:
            urls[svc] = f"sqlite:///{config.data_dir / f'{svc}.db'}"
        else:
            base = make_url(config.database_url)
            if base.drivername.startswith("sqlite"):
                path = Path(base.database or "ombuds.db")
                derived = base.set(database=str(path.with_name(f"{path.stem}_{svc}{path.suffix}")))
            else:
                derived = base.set(database=f"{base.database or 'ombuds'}_{svc}")
            urls[svc] = derived.render_as_string(hide_password=False)
    return urls


def _asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_databases(urls: dict[str, str]) -> None:
    """Create each service's PostgreSQL database if it does not exist yet."""
    for url_text in urls.values():
        url = make_url(url_text)
        if not url.drivername.startswith("postgres"):
            continue
        admin = await asyncpg.connect(_asyncpg_dsn(url.set(database="postgres")))
        try:
            exists = await admin.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", url.database
            )
            if not exists:
                await admin.execute(f'CREATE DATABASE "{url.database}"')
        finally:
            await admin.close()


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: list[ManagedProcess] = []

    def _start(self, process: ManagedProcess) -> ManagedProcess:
        self.processes.append(process)
        return process

    def service_env(self, urls: dict[str, str]) -> dict[str, str]:
        config = self.config
        portal = config.env.get(
            "INTAKE_PUBLIC_URL", f"http://{config.host}:{config.service_ports['intake']}"
        )
        env = {
            "PYTHONUNBUFFERED": "1",
            "KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap,
            "TEMPORAL_ADDRESS": config.temporal_address,
            "NOTIFICATIONS_SMTP_URL": config.smtp_url,
            "INTAKE_ATTACHMENTS_DIR": str(config.data_dir / "attachments"),
            # Emailed self-service links point at the portal as started here.
            "INTAKE_PUBLIC_URL": portal,
            # A request for information's reply link is a page of that portal too.
            "NOTIFICATIONS_PORTAL_URL": portal,
            # The staff UI's directory page calls the referrals admin API server-side.
            "CASES_REFERRALS_URL": f"http://127.0.0.1:{config.service_ports['referrals']}",
        }
        env.update({f"{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()})
        return env

    async def start(self) -> None:
        config = self.config
        config.log_dir.mkdir(parents=True, exist_ok=True)
        waits = []
        if config.external_temporal is None:
            temporal = self._start(
                start_temporal(
                    config.log_dir,
                    config.temporal_port,
                    config.temporal_ui_port,
                    db_file=config.data_dir / "temporal.db",
                )
            )
            waits.append(wait_for_port_async(temporal, config.temporal_port, timeout=120))
        if config.external_kafka is None:
            broker = self._start(start_broker(config.log_dir, config.kafka_port))
            waits.append(wait_for_port_async(broker, config.kafka_port))
        if config.external_smtp is None:
            smtp = self._start(start_smtp_sink(config.log_dir, config.smtp_port, config.maildir))
            waits.append(wait_for_port_async(smtp, config.smtp_port))
        urls = service_database_urls(config)
        await create_postgres_databases(urls)
        env = self.service_env(urls)
        await self._migrate(env)
        await asyncio.gather(*waits)
        for svc in SERVICES:
            self._start(
                ManagedProcess(
                    svc,
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        f"ombuds_{svc}.main:create_app",
                        "--factory",
                        "--host",
                        config.host,
                        "--port",
                        str(config.service_ports[svc]),
                        "--no-access-log",
                    ],
                    config.log_dir,
                    env,
                )
            )
        self._start(
            ManagedProcess(
                "workflow-worker",
                [sys.executable, "-m", "ombuds_workflows.worker"],
                config.log_dir,
                env,
            )
        )
        await self._wait_healthy()

    async def _migrate(self, env: dict[str, str]) -> None:
        migrations = [
            ManagedProcess(
                f"migrate-{svc}",
                [sys.executable, "-m", f"ombuds_{svc}.migrate"],
                self.config.log_dir,
                env,
            )
            for svc in SERVICES
        ]
        for migration in migrations:
            code = await asyncio.to_thread(migration.process.wait)
            migration.stop()
            if code != 0:
                raise RuntimeError(f"{migration.name} failed:\n{migration.tail()}")

    async def _wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(self.config.service_ports)
        async with httpx.AsyncClient(timeout=3) as client:
            while pending:
                self.check_alive()
                for svc, port in list(pending.items()):
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/healthz")
                        if response.status_code == 200:
                            del pending[svc]
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
                await asyncio.sleep(0.3)

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.running:
                raise RuntimeError(
                    f"{process.name} stopped unexpectedly (log: {process.log_path}):\n"
                    f"{process.tail()}"
                )

    def stop(self) -> None:
        # Services first, infrastructure last, so nothing logs errors on the way down.
        for process in reversed(self.processes):
            process.stop()

    def banner(self) -> str:
        c = self.config
        ports = c.service_ports
        mail = f"{c.smtp_url} (external)" if c.external_smtp else f"{c.smtp_url} -> {c.maildir}"
        temporal_ui = (
            "(external Temporal)"
            if c.external_temporal
            else f"http://127.0.0.1:{c.temporal_ui_port}"
        )
        return "\n".join(
            [
                "",
                "Ombuds is running.",
                f"  Public intake API    http://127.0.0.1:{ports['intake']}/docs",
                f"  Staff cases API      http://127.0.0.1:{ports['cases']}/docs  "
                "(Authorization: Bearer dev-staff-token)",
                f"  Referrals API        http://127.0.0.1:{ports['referrals']}/docs",
                f"  Notifications API    http://127.0.0.1:{ports['notifications']}/docs",
                f"  Temporal UI          {temporal_ui}",
                f"  Temporal (gRPC)      {c.temporal_address}",
                f"  Kafka broker         {c.kafka_bootstrap}",
                f"  Mail                 {mail}",
                f"  Logs                 {c.log_dir}",
                "Press Ctrl-C to stop everything.",
                "",
            ]
        )


async def run(config: StackConfig) -> int:
    stack = Stack(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        starting = asyncio.create_task(stack.start())
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            starting.cancel()
            return 0
        starting.result()
        print(stack.banner(), flush=True)
        while not stop.is_set():
            stack.check_alive()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"ombuds: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("Stopping Ombuds...", flush=True)
        stack.stop()


def main() -> None:
    config = StackConfig.from_env(dict(os.environ))
    sys.exit(asyncio.run(run(config)))
