"""Audit trail settings, read from `CASES_AUDIT_*` environment variables."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_cases.audit.signing import (
    DEVELOPMENT_KEY_ID,
    DEVELOPMENT_SIGNING_KEY,
    CheckpointSigner,
    load_private_key,
    load_public_key,
)


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_AUDIT_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="OMBUDS_ENV"
    )
    # Ed25519 private key, base64 of its 32 bytes; the development default is refused in
    # production. Rotate by setting a new key and key id, and moving the old public key
    # into `verify_keys` so the checkpoints it signed still verify.
    signing_key: SecretStr = SecretStr(DEVELOPMENT_SIGNING_KEY)
    signing_key_id: str = Field(default=DEVELOPMENT_KEY_ID, min_length=1, max_length=64)
    # Retired keys: key id -> base64 public key (JSON in CASES_AUDIT_VERIFY_KEYS).
    verify_keys: dict[str, str] = Field(default_factory=dict)
    # A signed checkpoint every this many records, and of the newest record at least this
    # often while the log grows (and when the service stops).
    checkpoint_every: int = Field(default=1000, ge=1)
    checkpoint_interval_seconds: float = Field(default=60.0, gt=0)
    # At most this many queued appends go into one transaction.
    max_batch: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _usable_keys(self) -> Self:
        if (
            self.environment == "production"
            and self.signing_key.get_secret_value() == DEVELOPMENT_SIGNING_KEY
        ):
            raise ValueError(
                "set CASES_AUDIT_SIGNING_KEY: the development key is refused in production"
            )
        load_private_key(self.signing_key.get_secret_value())
        for text in self.verify_keys.values():
            load_public_key(text)
        return self

    def signer(self) -> CheckpointSigner:
        return CheckpointSigner(
            load_private_key(self.signing_key.get_secret_value()), self.signing_key_id
        )
