"""What the retention API takes and answers."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class HoldRequest(BaseModel):
    """Why a legal hold is placed or lifted (the reason is kept with the hold and audited)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=2000)


class HoldView(BaseModel):
    id: int
    control_number: str
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


class RetentionView(BaseModel):
    control_number: str
    # waiting, held, archiving, certified, cancelled
    state: str
    closed_at: datetime
    due_at: datetime
    period_years: int
    certificate_id: str | None
    holds: list[HoldView]


class CertificateView(BaseModel):
    id: str
    control_number: str
    issued_at: datetime
    due_at: datetime | None
    # service -> store -> rows or files removed
    manifests: dict[str, dict[str, int]]
    holds: list[HoldView]
