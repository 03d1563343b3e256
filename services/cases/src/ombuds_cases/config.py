"""Cases settings, read from `CASES_*` environment variables."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_cases.audit.config import AuditSettings
from ombuds_shared.settings import PlatformSettings

DEVELOPMENT_STAFF_TOKEN = "dev-staff-token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")

    database_url: str = "sqlite:///.data/cases.db"
    # Until staff accounts exist (issue 4), staff calls carry this bearer token.
    dev_staff_token: str = DEVELOPMENT_STAFF_TOKEN
    run_worker: bool = True
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Self:
        if (
            self.platform.environment == "production"
            and self.dev_staff_token == DEVELOPMENT_STAFF_TOKEN
        ):
            raise ValueError(
                "set CASES_DEV_STAFF_TOKEN: the development token is refused in production"
            )
        return self
