"""Cases settings, read from `CASES_*` environment variables."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.crypto.config import FieldEncryptionSettings
from ombuds_cases.privacy.config import BlindIndexSettings
from ombuds_cases.staff.assertions import DEVELOPMENT_ASSERTION_KEY
from ombuds_shared.forms import FormSettings
from ombuds_shared.retention_contracts import DEFAULT_RETENTION_YEARS
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.staff_assertions import load_private_key

DEVELOPMENT_STAFF_TOKEN = "dev-staff-token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")

    database_url: str = "sqlite:///.data/cases.db"
    # Accepted as an actor with every permission in development and test only (never in
    # production); real staff sign in at POST /api/v1/staff/session.
    dev_staff_token: str = DEVELOPMENT_STAFF_TOKEN
    run_worker: bool = True
    # Staff sign-in (ombuds_cases.staff): how long a session lasts, the name authenticator
    # apps show for the TOTP entry.
    staff_session_hours: int = Field(default=8, ge=1, le=24)
    staff_totp_issuer: str = "Ombuds"
    # OpenID Connect sign-in (ombuds_cases.staff.oidc), offered beside password + TOTP when the
    # issuer is set; it signs in existing accounts only. The redirect URL defaults to this
    # app's own /staff/sign-in/oidc/callback as the request reached it.
    staff_oidc_issuer: str | None = None
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: SecretStr | None = None
    staff_oidc_redirect_url: str | None = None
    staff_oidc_provider_name: str = Field(default="single sign-on", min_length=1, max_length=60)
    # CASES_RETENTION_YEARS: how long a closed case is kept before its purge (PIA 5.1: five).
    # Read when a case's Retention run starts; runs already sleeping keep their own period.
    retention_years: int = Field(default=DEFAULT_RETENTION_YEARS, ge=1, le=100)
    # Signed staff assertions (ombuds_cases.staff.assertions): CASES_STAFF_ASSERTION_KEY is the
    # Ed25519 private key, base64 of 32 bytes (its public half goes in
    # REFERRALS_STAFF_ASSERTION_PUBLIC_KEY); the development key is refused in production.
    staff_assertion_key: SecretStr = SecretStr(DEVELOPMENT_ASSERTION_KEY)
    staff_assertion_minutes: int = Field(default=5, ge=1, le=15)
    # Where the staff UI's directory page reaches the referrals admin API (server-side).
    referrals_url: str = "http://127.0.0.1:8002"
    referrals_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    # CASES_FIELD_KEYS / CASES_FIELD_KEY_ID: master keys for identity numbers and birth dates.
    field_encryption: FieldEncryptionSettings = Field(default_factory=FieldEncryptionSettings)
    # CASES_BLIND_INDEX_KEY: the HMAC key of the person index (Privacy Act and FOIA searches).
    blind_index: BlindIndexSettings = Field(default_factory=BlindIndexSettings)
    # The staff UI's CSRF tokens (OMBUDS_FORMS_*; the secret must be set in production).
    forms: FormSettings = Field(default_factory=FormSettings)

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

    @model_validator(mode="after")
    def _usable_assertion_key(self) -> Self:
        key = self.staff_assertion_key.get_secret_value()
        if self.platform.environment == "production" and key == DEVELOPMENT_ASSERTION_KEY:
            raise ValueError(
                "set CASES_STAFF_ASSERTION_KEY: the development key is refused in production"
            )
        load_private_key(key)
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Self:
        if self.staff_oidc_issuer is None:
            return self
        missing = [
            f"CASES_STAFF_OIDC_{name.upper()}"
            for name, value in (
                ("client_id", self.staff_oidc_client_id),
                ("client_secret", self.staff_oidc_client_secret),
            )
            if not value
        ]
        if missing:
            raise ValueError(
                f"CASES_STAFF_OIDC_ISSUER is set, so {' and '.join(missing)} must be set too"
            )
        # A plain-http issuer hands out identities anyone on the path could rewrite.
        if self.platform.environment == "production" and not self.staff_oidc_issuer.startswith(
            "https://"
        ):
            raise ValueError("CASES_STAFF_OIDC_ISSUER must be an https:// URL in production")
        return self
