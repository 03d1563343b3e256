"""Queue settings, read from `CASES_QUEUE_*` environment variables."""

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Calendar days until a case is due, by kind: an approximation of the response SLA in
# business days (15 business days ~ 21 calendar days); the exact business-day SLA, with
# holidays, comes with issue 5 and replaces this.
DEFAULT_DUE_DAYS: dict[str, int] = {
    "complaint": 21,
    "tip": 7,
    "question": 14,
    "comment": 30,
    "compliment": 30,
}


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_QUEUE_", extra="ignore")

    # Kind -> calendar days (JSON in CASES_QUEUE_DUE_DAYS); kinds not named use `due_days_other`.
    due_days: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_DUE_DAYS))
    due_days_other: int = Field(default=21, ge=1, le=365)


@cache
def queue_settings() -> QueueSettings:
    """Read once per process: the due date is decided at opening, from the settings then."""
    return QueueSettings()
