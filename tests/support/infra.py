"""The real infrastructure tests talk to: Temporal dev server, Tansu broker, SMTP sink, databases."""

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from ombuds_devstack.processes import (
    ManagedProcess,
    free_port,
    port_open,
    start_broker,
    start_smtp_sink,
    start_temporal,
    wait_for_port,
)
from ombuds_shared.settings import PlatformSettings

POSTGRES_URL = os.environ.get(
    "OMBUDS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Infra:
    log_dir: Path
    maildir: Path
    temporal_port: int
    kafka_port: int
    smtp_port: int
    temporal: ManagedProcess
    broker: ManagedProcess
    smtp: ManagedProcess

    @property
    def platform(self) -> PlatformSettings:
        return PlatformSettings(
            kafka_bootstrap_servers=f"127.0.0.1:{self.kafka_port}",
            temporal_address=f"127.0.0.1:{self.temporal_port}",
        )

    def isolated_platform(self) -> PlatformSettings:
        """Settings with topics and groups of their own, unseen by other tests on this broker."""
        return self.platform.model_copy(
            update={"kafka_topic_prefix": f"test-{uuid.uuid4().hex[:8]}."}
        )

    @property
    def smtp_url(self) -> str:
        return f"smtp://127.0.0.1:{self.smtp_port}"

    def stop_broker(self) -> None:
        """SIGKILL: the in-memory broker loses every topic, offset and group."""
        self.broker.kill()

    def start_broker(self) -> None:
        self.broker = start_broker(self.log_dir, self.kafka_port)
        wait_for_port(self.broker, self.kafka_port)

    def stop(self) -> None:
        for process in (self.smtp, self.broker, self.temporal):
            process.stop()


@contextlib.contextmanager
def running_infra(base: Path) -> Iterator[Infra]:
    log_dir, maildir = base / "logs", base / "mail"
    ports = {name: free_port() for name in ("temporal", "ui", "kafka", "smtp")}
    temporal = start_temporal(log_dir, ports["temporal"], ports["ui"], headless=True)
    broker = start_broker(log_dir, ports["kafka"])
    smtp = start_smtp_sink(log_dir, ports["smtp"], maildir)
    infra = Infra(
        log_dir, maildir, ports["temporal"], ports["kafka"], ports["smtp"], temporal, broker, smtp
    )
    try:
        wait_for_port(temporal, ports["temporal"], timeout=120)
        wait_for_port(broker, ports["kafka"])
        wait_for_port(smtp, ports["smtp"])
        yield infra
    finally:
        infra.stop()


def postgres_reachable() -> bool:
    url = make_url(POSTGRES_URL)
    return port_open(url.port or 5432, url.host or "127.0.0.1")


async def create_postgres_database(prefix: str) -> str:
    """A fresh, uniquely named database; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
