"""Bodies of the staff and agency referral APIs."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from ombuds_shared.contracts import referral_workflow_id
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferralCreate(Body):
    control_number: str = Field(max_length=32)
    recipient_id: str = Field(min_length=1, max_length=64)
    # Form DHS-191: why the record is shared, and what it is.
    purpose: str = Field(min_length=1, max_length=2000)
    nature: str = Field(min_length=1, max_length=2000)

    @field_validator("control_number")
    @classmethod
    def _canonical(cls, value: str) -> str:
        try:
            return parse_control_number(value)
        except InvalidControlNumber as error:
            raise ValueError(str(error)) from error


class RecallRequest(Body):
    reason: str = Field(min_length=1, max_length=2000)


class AgencyText(Body):
    text: str = Field(min_length=1, max_length=20000)


class DispositionRequest(Body):
    disposition: str = Field(min_length=1, max_length=20000)


class ReferralView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    control_number: str
    recipient_id: str
    purpose: str
    nature: str
    status: str
    reminders_sent: int
    created_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    disposition: str | None
    disposition_at: datetime | None
    escalated_at: datetime | None
    recalled_at: datetime | None
    workflow_started: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def workflow_id(self) -> str:
        """Where to find it in the Temporal UI."""
        return referral_workflow_id(self.id)
