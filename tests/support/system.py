"""The whole slice in this process: intake, cases and notifications apps with their consumers,
relays and activity workers, plus the workflow worker, against real infrastructure."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.service import RPCError

from ombuds_cases.config import Settings as CasesSettings
from ombuds_cases.main import create_app as create_cases_app
from ombuds_cases.migrate import MIGRATIONS as CASES_MIGRATIONS
from ombuds_devstack.smtp_sink import read_messages
from ombuds_intake.config import Settings as IntakeSettings
from ombuds_intake.main import create_app as create_intake_app
from ombuds_intake.migrate import MIGRATIONS as INTAKE_MIGRATIONS
from ombuds_notifications.config import Settings as NotificationsSettings
from ombuds_notifications.main import create_app as create_notifications_app
from ombuds_notifications.migrate import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.temporal import connect_temporal
from ombuds_workflows.worker import build_worker
from support.infra import Infra

STAFF = {"Authorization": "Bearer dev-staff-token"}
T = TypeVar("T")


@dataclass
class System:
    infra: Infra
    platform: PlatformSettings
    intake: httpx.AsyncClient
    cases: httpx.AsyncClient
    notifications: httpx.AsyncClient
    apps: dict[str, FastAPI]

    def emails_for(self, control_number: str) -> list[EmailMessage]:
        return [
            m
            for m in read_messages(self.infra.maildir)
            if m.get("X-Ombuds-Control-Number") == control_number
        ]


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0, interval: float = 0.2
) -> T:
    """Poll `probe` until it returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f}s (last: {last!r})")


def migrate_all(urls: dict[str, str]) -> None:
    upgrade_to_head(INTAKE_MIGRATIONS, urls["intake"])
    upgrade_to_head(CASES_MIGRATIONS, urls["cases"])
    upgrade_to_head(NOTIFICATIONS_MIGRATIONS, urls["notifications"])


@contextlib.asynccontextmanager
async def running_system(
    infra: Infra,
    urls: dict[str, str],
    notifications_worker: bool = True,
    **notification_settings: Any,
) -> AsyncIterator[System]:
    await asyncio.to_thread(migrate_all, urls)
    platform = await isolated_namespace(infra.isolated_platform())
    apps = {
        "intake": create_intake_app(IntakeSettings(database_url=urls["intake"], platform=platform)),
        "cases": create_cases_app(CasesSettings(database_url=urls["cases"], platform=platform)),
        "notifications": create_notifications_app(
            NotificationsSettings(
                database_url=urls["notifications"],
                smtp_url=infra.smtp_url,
                run_worker=notifications_worker,
                platform=platform,
                **notification_settings,
            )
        ),
    }
    client = await connect_temporal(platform)
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(build_worker(client))
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
            for name, app in apps.items()
        }
        system = System(
            infra, platform, clients["intake"], clients["cases"], clients["notifications"], apps
        )

        async def all_healthy() -> bool:
            for name in ("intake", "cases", "notifications"):
                if (await clients[name].get("/healthz")).status_code != 200:
                    return False
            return True

        await eventually(all_healthy, timeout=60)
        yield system


async def isolated_namespace(platform: PlatformSettings) -> PlatformSettings:
    """A Temporal namespace of its own, so no other test's workers take this system's tasks."""
    namespace = platform.kafka_topic_prefix.rstrip(".") or f"test-{uuid.uuid4().hex[:8]}"
    client = await connect_temporal(platform)
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86_400)
        )
    )
    isolated = platform.model_copy(update={"temporal_namespace": namespace})

    async def usable() -> bool:
        try:
            await (await connect_temporal(isolated)).workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace)
            )
        except RPCError:
            return False
        return True

    await eventually(usable, timeout=30)
    return isolated


def sqlite_urls(base: Path) -> dict[str, str]:
    return {svc: f"sqlite:///{base / f'{svc}.db'}" for svc in ("intake", "cases", "notifications")}
