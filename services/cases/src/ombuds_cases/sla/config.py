"""Service-level settings, read from `CASES_SLA_*` environment variables."""

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Business days (federal-holiday calendar) until a case of each kind is answered; the queue's
# calendar-day due dates (CASES_QUEUE_DUE_DAYS) approximate these.
DEFAULT_RESPONSE_BUSINESS_DAYS: dict[str, int] = {
    "complaint": 15,
    "tip": 5,
    "question": 10,
    "comment": 20,
    "compliment": 20,
}


class SlaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_SLA_", extra="ignore")

    # Kind -> business days (JSON); kinds not named use the `_other` value.
    triage_business_days: dict[str, int] = Field(default_factory=dict)
    triage_business_days_other: int = Field(default=3, ge=1, le=60)
    response_business_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_BUSINESS_DAYS)
    )
    response_business_days_other: int = Field(default=30, ge=1, le=365)
    # Who is emailed when a clock is breached; none: the breach is only recorded.
    supervisor_email: str | None = None

    def triage_days(self, kind: str) -> int:
        return self.triage_business_days.get(kind, self.triage_business_days_other)

    def response_days(self, kind: str) -> int:
        return self.response_business_days.get(kind, self.response_business_days_other)


@cache
def sla_settings() -> SlaSettings:
    """Read once per process: a case's clocks are fixed when its workflow starts."""
    return SlaSettings()
