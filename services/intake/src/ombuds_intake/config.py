"""Intake settings, read from `INTAKE_*` environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombuds_shared.settings import PlatformSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "sqlite:///.data/intake.db"
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
