"""Field encryption settings, read from `CASES_FIELD_*` environment variables."""

import base64
import binascii
import functools
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_cases.crypto.keyring import FieldKeyring

# Published on purpose: it protects development data only, and production refuses it.
DEVELOPMENT_FIELD_KEY_ID = "development"
DEVELOPMENT_FIELD_KEY = "2dXJg9I32OepVhgFs0tOqPbn7pOm7M6qifOjuArK0Yo="


class FieldKeyError(ValueError):
    """A master key in settings that is not base64 of 32 bytes, or a missing current id."""


def _raw_key(key_id: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise FieldKeyError(f"CASES_FIELD_KEYS[{key_id!r}] is not valid base64") from error
    if len(raw) != 32:
        raise FieldKeyError(f"CASES_FIELD_KEYS[{key_id!r}] must be 32 bytes, not {len(raw)}")
    return raw


class FieldEncryptionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_FIELD_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="OMBUDS_ENV"
    )
    # Master keys by id, base64 of 32 bytes each (JSON in CASES_FIELD_KEYS). Rotate by adding
    # a new key, pointing CASES_FIELD_KEY_ID at it and running
    # `python -m ombuds_cases.crypto rotate`; keep the old key until that has finished.
    keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEVELOPMENT_FIELD_KEY_ID: SecretStr(DEVELOPMENT_FIELD_KEY)}
    )
    key_id: str = Field(default=DEVELOPMENT_FIELD_KEY_ID, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _usable_keys(self) -> Self:
        if self.key_id not in self.keys:
            raise FieldKeyError(f"CASES_FIELD_KEY_ID {self.key_id!r} is not in CASES_FIELD_KEYS")
        for key_id, key in self.keys.items():
            _raw_key(key_id, key.get_secret_value())
            if self.environment == "production" and key.get_secret_value() == DEVELOPMENT_FIELD_KEY:
                raise FieldKeyError(
                    "set CASES_FIELD_KEYS: the development field key is refused in production"
                )
        return self

    def keyring(self) -> FieldKeyring:
        return FieldKeyring(
            {kid: _raw_key(kid, key.get_secret_value()) for kid, key in self.keys.items()},
            self.key_id,
        )


@functools.cache
def default_keyring() -> FieldKeyring:
    """The keyring of this process's environment, for callers not handed the app's settings."""
    return FieldEncryptionSettings().keyring()
