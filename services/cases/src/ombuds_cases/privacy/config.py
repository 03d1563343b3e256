"""The blind index key, read from `CASES_BLIND_INDEX_KEY` (base64 of 32 bytes)."""

import base64
import binascii
import functools
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published on purpose: it protects development data only, and production refuses it.
DEVELOPMENT_BLIND_INDEX_KEY = "q0Ocm9xyVrV0wqgmBZ2Se8Jf2oZ2mN9VhGdh8gkLrzQ="


class BlindIndexKeyError(ValueError):
    """A blind index key that is not base64 of 32 bytes, or the development key in production."""


class BlindIndexSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_BLIND_INDEX_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="OMBUDS_ENV"
    )
    # Changing the key makes every stored digest unfindable: run
    # `python -m ombuds_cases.privacy backfill` after changing it.
    key: SecretStr = SecretStr(DEVELOPMENT_BLIND_INDEX_KEY)

    @model_validator(mode="after")
    def _usable_key(self) -> Self:
        self.raw_key()
        if (
            self.environment == "production"
            and self.key.get_secret_value() == DEVELOPMENT_BLIND_INDEX_KEY
        ):
            raise BlindIndexKeyError(
                "set CASES_BLIND_INDEX_KEY: the development blind index key is refused in "
                "production"
            )
        return self

    def raw_key(self) -> bytes:
        try:
            raw = base64.b64decode(self.key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise BlindIndexKeyError("CASES_BLIND_INDEX_KEY is not valid base64") from error
        if len(raw) != 32:
            raise BlindIndexKeyError(f"CASES_BLIND_INDEX_KEY must be 32 bytes, not {len(raw)}")
        return raw


@functools.cache
def default_blind_key() -> bytes:
    """The key of this process's environment, for callers not handed the app's settings."""
    return BlindIndexSettings().raw_key()
