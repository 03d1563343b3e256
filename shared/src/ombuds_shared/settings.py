"""Settings every service shares: where the broker, Temporal and the trace exporter are."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """Connections common to all services; read from unprefixed environment variables."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="OMBUDS_ENV"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The embedded Tansu broker cannot do InitProducerId, so idempotence stays a setting
    # (consumers dedupe through their inbox either way).
    kafka_enable_idempotence: bool = False
    # Prepended to every topic and consumer group name, so several Ombuds installations (or
    # test runs) can share one cluster without reading each other's events.
    kafka_topic_prefix: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    otel_traces_exporter: Literal["none", "console", "otlp"] = "none"
    otel_exporter_otlp_endpoint: str = "http://127.0.0.1:4318"
