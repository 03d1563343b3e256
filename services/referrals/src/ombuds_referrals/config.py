"""Referrals settings, read from `REFERRALS_*` environment variables."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.settings import PlatformSettings

DEVELOPMENT_STAFF_TOKEN = "dev-staff-token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_", extra="ignore")

    database_url: str = "sqlite:///.data/referrals.db"
    # The bearer token of the staff and directory admin APIs until staff roles reach this
    # service; the development value is refused in production.
    dev_staff_token: str = DEVELOPMENT_STAFF_TOKEN
    # Run the referrals activities (deliveries, timer steps) in the service process.
    run_worker: bool = True
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Self:
        if (
            self.platform.environment == "production"
            and self.dev_staff_token == DEVELOPMENT_STAFF_TOKEN
        ):
            raise ValueError(
                "set REFERRALS_DEV_STAFF_TOKEN: the development token is refused in production"
            )
        return self
