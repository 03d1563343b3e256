"""One way to connect to Temporal: Pydantic payloads and OpenTelemetry tracing."""

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from ombuds_shared.settings import PlatformSettings


async def connect_temporal(settings: PlatformSettings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )
