"""One way to connect to Temporal: Pydantic payloads and OpenTelemetry tracing."""

import asyncio
import logging

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from ombuds_shared.http import UnavailableError
from ombuds_shared.settings import PlatformSettings

log = logging.getLogger(__name__)


async def connect_temporal(settings: PlatformSettings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )


async def connect_when_up(settings: PlatformSettings, retry_seconds: float = 1.0) -> Client:
    """Connect to Temporal, trying again every `retry_seconds` until it answers."""
    attempt = 0
    while True:
        try:
            client = await connect_temporal(settings)
        except RuntimeError as error:  # how the SDK reports a server it cannot reach
            # Say so at once, then about every half minute rather than every second.
            level = logging.WARNING if attempt % 30 == 0 else logging.DEBUG
            log.log(
                level, "Temporal at %s is not up (%s); retrying", settings.temporal_address, error
            )
            attempt += 1
            await asyncio.sleep(retry_seconds)
            continue
        log.info("connected to Temporal at %s", settings.temporal_address)
        return client


class TemporalConnection:
    """Connects in the background and keeps trying, so a service starts before Temporal."""

    def __init__(self, settings: PlatformSettings) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._connected = asyncio.Event()

    @property
    def client(self) -> Client:
        if self._client is None:
            raise UnavailableError("The workflow engine is not reachable yet.")
        return self._client

    async def wait(self) -> Client:
        await self._connected.wait()
        return self.client

    async def is_healthy(self) -> bool:
        if self._client is None:
            return False
        await self._client.service_client.check_health()
        return True

    async def run(self) -> None:
        self._client = await connect_when_up(self._settings)
        self._connected.set()
