"""Notifications settings, read from `NOTIFICATIONS_*` environment variables."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.settings import PlatformSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )

    database_url: str = "sqlite:///.data/notifications.db"
    # smtp://user:pass@host:port, smtps:// for implicit TLS, `?starttls=true|false` to force.
    smtp_url: str = Field(
        "smtp://127.0.0.1:1025",
        validation_alias=AliasChoices("NOTIFICATIONS_SMTP_URL", "SMTP_URL"),
    )
    sender: str = "Ombuds <no-reply@ombuds.localhost>"
    # Where the acknowledgement sends people to check their status; without it the text
    # names the portal without a link.
    status_url: str | None = None
    # The public portal's address: a request for information's reply link is this followed by
    # the request's `reply_path`; without it the text names the portal without a link.
    portal_url: str | None = None
    # A lifecycle email the SMTP server keeps failing (not a refusal) is retried by the consumer
    # for this long after its first attempt, then recorded as failed and announced.
    send_retry_seconds: float = Field(3600.0, ge=0)
    run_worker: bool = True
    # Test hook: the activity waits this long (heartbeating) between claiming and sending,
    # so a test can kill the worker in the middle of an attempt.
    fault_pause_before_send_seconds: float = 0.0
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
