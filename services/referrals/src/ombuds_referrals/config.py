"""Referrals settings, read from `REFERRALS_*` environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.settings import PlatformSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_", extra="ignore")

    database_url: str = "sqlite:///.data/referrals.db"
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
