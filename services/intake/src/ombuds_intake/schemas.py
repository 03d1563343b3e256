"""The public submission API: what a person may send and what they get back."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError


class Kind(StrEnum):
    COMPLIMENT = "compliment"
    QUESTION = "question"
    COMPLAINT = "complaint"
    TIP = "tip"
    COMMENT = "comment"


class Category(StrEnum):
    """The PIA's question paths (2.1)."""

    TRUSTED_TRAVELER = "trusted_traveler"
    BORDER_PATROL = "border_patrol"
    AVIATION_MARINA = "aviation_marina"
    TRADE = "trade"
    GENERAL = "general"


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Name
    last_name: Name
    email: EmailStr


class SubmissionRequest(BaseModel):
    """A submission from the public web portal."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    category: Category
    narrative: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=20_000)
    ]
    incident_date: date | None = Field(default=None, validate_default=True)
    port_of_entry: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
        | None
    ) = Field(default=None, validate_default=True)
    anonymous: bool = False
    contact: Contact | None = Field(default=None, validate_default=True)
    privacy_act_acknowledged: Literal[True] = Field(
        description="The submitter has read the Privacy Act Statement (5 U.S.C. 552a(e)(3))."
    )
    language: Literal["en", "es"] = "en"

    # PIA 2.1: port of entry and incident date locate a complaint's records, so both are required.
    @field_validator("incident_date")
    @classmethod
    def _incident_date_rules(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None and info.data.get("kind") is Kind.COMPLAINT:
            raise PydanticCustomError(
                "required_for_complaint", "a complaint needs its incident date"
            )
        if value is not None and value > date.today():
            raise PydanticCustomError("date_in_future", "the incident date cannot be in the future")
        return value

    @field_validator("port_of_entry")
    @classmethod
    def _port_rules(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("kind") is Kind.COMPLAINT:
            raise PydanticCustomError(
                "required_for_complaint", "a complaint needs its port of entry"
            )
        return value

    @field_validator("contact")
    @classmethod
    def _contact_matches_anonymity(
        cls, value: Contact | None, info: ValidationInfo
    ) -> Contact | None:
        anonymous = info.data.get("anonymous", False)
        if anonymous and value is not None:
            raise PydanticCustomError(
                "forbidden_when_anonymous", "an anonymous submission carries no contact details"
            )
        if not anonymous and value is None:
            raise PydanticCustomError(
                "required_unless_anonymous", "contact is required unless anonymous is true"
            )
        return value


class SubmissionAccepted(BaseModel):
    control_number: str
    status: str
    received_at: datetime
    acknowledgement: str
    status_url: str


class SubmissionStatus(BaseModel):
    control_number: str
    kind: str
    category: str
    status: str
    received_at: datetime
    status_updated_at: datetime
