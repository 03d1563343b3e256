"""Referrals settings, read from `REFERRALS_*` environment variables."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.settings import PlatformSettings
from ombuds_shared.staff_assertions import DEVELOPMENT_PUBLIC_KEY, load_public_key

DEVELOPMENT_STAFF_TOKEN = "dev-staff-token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_", extra="ignore")

    database_url: str = "sqlite:///.data/referrals.db"
    # Staff call the staff and directory admin APIs with a signed staff assertion from the
    # cases service, verified with this Ed25519 public key (base64 of 32 bytes: the public half
    # of CASES_STAFF_ASSERTION_KEY); the development key is refused in production.
    staff_assertion_public_key: str = DEVELOPMENT_PUBLIC_KEY
    # Accepted as a caller with every permission in development and test only (never in
    # production, whatever its value), as in the cases service.
    dev_staff_token: str = DEVELOPMENT_STAFF_TOKEN
    # Run the referrals activities (deliveries, timer steps) in the service process.
    run_worker: bool = True
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)

    @model_validator(mode="after")
    def _usable_assertion_key(self) -> Self:
        if (
            self.platform.environment == "production"
            and self.staff_assertion_public_key == DEVELOPMENT_PUBLIC_KEY
        ):
            raise ValueError(
                "set REFERRALS_STAFF_ASSERTION_PUBLIC_KEY: the development key is refused in "
                "production"
            )
        load_public_key(self.staff_assertion_public_key)
        return self
