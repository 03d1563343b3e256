"""Intake settings, read from `INTAKE_*` environment variables."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.forms import DEVELOPMENT_SECRET, FormSettings
from ombuds_shared.settings import PlatformSettings

DEVELOPMENT_STAFF_TOKEN = "dev-staff-token"
DEVELOPMENT_VERIFICATION_SECRET = "ombuds-development-only-verification-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "sqlite:///.data/intake.db"
    platform: PlatformSettings = Field(default_factory=PlatformSettings)

    # Attachments (PIA: PDF, JPEG and PNG only, stored outside the database).
    attachments_dir: str = ".data/attachments"
    attachments_backend: Literal["filesystem", "s3"] = "filesystem"
    attachments_s3_endpoint_url: str | None = None
    attachments_s3_bucket: str = "ombuds-attachments"
    attachments_s3_region: str = "us-east-1"
    attachments_s3_access_key_id: str | None = None
    attachments_s3_secret_access_key: SecretStr | None = None
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_max_count: int = Field(default=5, ge=0)

    # Abuse controls: a token bucket per client address on submissions and attachments
    # (`burst` at once, then `per_minute`); see ombuds_intake.rate_limits.
    rate_limit_per_minute: int = Field(default=30, ge=1)
    rate_limit_burst: int = Field(default=10, ge=1)
    rate_limit_backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Peers (addresses or networks) whose X-Forwarded-For names the client.
    trusted_proxies: list[str] = Field(default_factory=list)

    # Staff enter phone, mail, comment-card, fax and email submissions with this bearer token
    # until staff accounts exist (issue 4); refused at its default in production.
    staff_token: SecretStr = SecretStr(DEVELOPMENT_STAFF_TOKEN)

    # Keys the hashes of one-time codes and links (self-service, accounts); refused at its
    # default in production. Links in emails start with `public_url`.
    verification_secret: SecretStr = SecretStr(DEVELOPMENT_VERIFICATION_SECRET)
    public_url: str = "http://127.0.0.1:8000"

    # Public accounts: argon2id parameters (a change rehashes each password at its next
    # sign-in), lockouts after repeated wrong passwords, and how long a session lasts. The
    # session cookie is signed with a key derived from `verification_secret`.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    sign_in_max_failures: int = Field(default=5, ge=1)
    sign_in_client_max_failures: int = Field(default=20, ge=1)
    sign_in_lockout_seconds: int = Field(default=900, ge=1)
    account_session_seconds: int = Field(default=12 * 3600, ge=60)

    # The portal's CSRF secret and bot check (OMBUDS_FORMS_SECRET and friends).
    forms: FormSettings = Field(default_factory=FormSettings)

    @model_validator(mode="after")
    def _no_default_forms_secret_outside_development(self) -> Self:
        if (
            self.platform.environment != "development"
            and self.forms.secret.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError(
                "set OMBUDS_FORMS_SECRET: the development secret is refused outside development"
            )
        if (
            self.platform.environment == "production"
            and self.staff_token.get_secret_value() == DEVELOPMENT_STAFF_TOKEN
        ):
            raise ValueError(
                "set INTAKE_STAFF_TOKEN: the development token is refused in production"
            )
        if (
            self.platform.environment == "production"
            and self.verification_secret.get_secret_value() == DEVELOPMENT_VERIFICATION_SECRET
        ):
            raise ValueError(
                "set INTAKE_VERIFICATION_SECRET: the development secret is refused in production"
            )
        return self
