"""Request-for-information settings, read from `CASES_INFORMATION_REQUEST_*` variables."""

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InformationRequestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_INFORMATION_REQUEST_", extra="ignore")

    # Business days the submitter has to answer when staff name no deadline.
    due_days: int = Field(default=20, ge=1, le=120)


@cache
def information_request_settings() -> InformationRequestSettings:
    """Read once per process."""
    return InformationRequestSettings()
