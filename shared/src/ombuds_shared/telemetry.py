"""OpenTelemetry setup and trace-context propagation through Kafka headers."""

from collections.abc import Iterable, Sequence

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from ombuds_shared.settings import PlatformSettings

_provider: TracerProvider | None = None


def setup_tracing(
    service_name: str, settings: PlatformSettings, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install one tracer provider per process; `exporter` overrides the setting (tests)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        trace.set_tracer_provider(_provider)
    if exporter is not None:
        _provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otel_traces_exporter == "console":
        _provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif settings.otel_traces_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return _provider


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to store beside an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def kafka_headers(carrier: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(key, value.encode()) for key, value in carrier.items()]


def context_from_kafka_headers(
    headers: Sequence[tuple[str, bytes]] | Iterable[tuple[str, bytes]] | None,
) -> otel_context.Context:
    carrier = {key: value.decode() for key, value in (headers or [])}
    return propagate.extract(carrier)
