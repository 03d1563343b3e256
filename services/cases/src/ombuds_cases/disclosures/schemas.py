"""Bodies of the disclosure accounting API: a manual disclosure in, accounting rows out."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# How a staff member shared the record outside DHS themselves (referrals record their own).
ManualMethod = Literal["phone", "email", "mail", "fax", "in_person"]


class ManualDisclosure(BaseModel):
    """A share outside DHS made by hand: what Form DHS-191 asks for."""

    model_config = ConfigDict(extra="forbid")

    method: ManualMethod
    nature: str = Field(min_length=1, max_length=2000)
    purpose: str = Field(min_length=1, max_length=2000)
    recipient_name: str = Field(min_length=1, max_length=200)
    recipient_address: str = Field(min_length=1, max_length=1000)
    # When it happened; now when left out.
    disclosed_at: AwareDatetime | None = None

    @field_validator("disclosed_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("the disclosure cannot be in the future")
        return value


class DisclosureView(BaseModel):
    id: int
    source: str
    # b1_need_to_know, b3_routine_use, manual, release or correction (see models.py).
    basis: str
    control_number: str
    subject_name: str | None
    subject_email: str | None
    disclosed_at: datetime
    nature: str
    purpose: str
    recipient_name: str
    recipient_address: str
    method: str
    disclosed_by: str
    retain_until: datetime
    recorded_at: datetime
