"""Bodies of the privacy request API: requests, searches, selections, redactions, amendments."""

import re
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

RequestKind = Literal["privacy_act", "foia"]
ReleaseMethod = Literal["email", "mail", "in_person", "portal"]
Decision = Literal["accept", "deny"]
# A field a person may ask to correct, as the question paths ask it.
AMENDABLE_FIELD = re.compile(r"^(contact|incident|identity|trade)\.[a-z][a-z0-9_]{0,63}$")
# Where a redaction applies in one case's export: a dotted path, list items by their id.
TARGET = re.compile(r"^[a-z_]{1,40}(\.[A-Za-z0-9_-]{1,64}){0,3}$")


def _not_after_today(value: date) -> date:
    if value > datetime.now(UTC).date():
        raise ValueError("cannot be in the future")
    return value


class NewPrivacyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RequestKind
    requester_name: str = Field(min_length=1, max_length=201)
    requester_email: EmailStr | None = None
    requester_address: str = Field(min_length=1, max_length=1000)
    # How identity was verified (552a(d)(1) and 6 CFR 5.21(d)): never released without it.
    identity_verification: str = Field(min_length=1, max_length=2000)
    description: str = Field(min_length=1, max_length=4000)
    received_on: date

    _received = field_validator("received_on")(_not_after_today)


class PrivacyRequestSummary(BaseModel):
    id: int
    kind: RequestKind
    requester_name: str
    received_on: date
    due_on: date
    status: str
    selected: int


class RedactionView(BaseModel):
    id: int
    control_number: str
    target: str
    span: str | None
    reason: str
    created_by: str
    created_at: datetime


class ReleaseView(BaseModel):
    id: int
    control_numbers: list[str]
    method: str
    sha256: str
    released_by: str
    released_at: datetime


class PrivacyRequestView(BaseModel):
    id: int
    kind: RequestKind
    requester_name: str
    requester_email: str | None
    requester_address: str
    identity_verification: str
    description: str
    received_on: date
    due_on: date
    status: str
    created_by: str
    created_at: datetime
    selected: list[str]
    redactions: list[RedactionView]
    releases: list[ReleaseView]


class RequestPage(BaseModel):
    total: int
    page: int
    pages: int
    requests: list[PrivacyRequestSummary]


class PersonSearch(BaseModel):
    """Any of the person's identifiers; every one given must find the case (AND)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=201)
    email: EmailStr | None = None
    control_number: str | None = Field(default=None, min_length=1, max_length=40)
    identity_number: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _something_to_search_by(self) -> "PersonSearch":
        if not any((self.name, self.email, self.control_number, self.identity_number)):
            raise ValueError("give a name, email, control number or identity number to search by")
        return self


class FoundCase(BaseModel):
    control_number: str
    matched_by: list[str]
    kind: str
    category: str
    status: str
    received_at: datetime
    subject_name: str | None
    selected: bool


class Selection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control_numbers: list[str] = Field(min_length=1, max_length=200)


class NewRedaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control_number: str = Field(min_length=1, max_length=40)
    target: str = Field(min_length=1, max_length=200)
    # The exact text to withhold inside the value; left out, the whole value is withheld.
    span: str | None = Field(default=None, min_length=1, max_length=4000)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("target")
    @classmethod
    def _a_path(cls, value: str) -> str:
        if not TARGET.match(value):
            raise ValueError(
                "must be a dotted path into the case's export, e.g. narrative, "
                "details.contact.phone or notes.<note id>.text"
            )
        return value


class NewRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: ReleaseMethod


class NewAmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control_number: str = Field(min_length=1, max_length=40)
    requester_name: str = Field(min_length=1, max_length=201)
    field: str = Field(min_length=1, max_length=200)
    requested_value: str = Field(max_length=10000)
    justification: str = Field(min_length=1, max_length=4000)
    received_on: date

    _received = field_validator("received_on")(_not_after_today)

    @field_validator("field")
    @classmethod
    def _amendable(cls, value: str) -> str:
        if not AMENDABLE_FIELD.match(value):
            raise ValueError(
                "must be a field of the record as asked: contact.<name>, incident.<name>, "
                "identity.<name> or trade.<name>"
            )
        return value


class AmendmentDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = Field(min_length=1, max_length=4000)


class AmendmentRequestView(BaseModel):
    id: int
    control_number: str
    requester_name: str
    field: str
    # Masked for an identity number or birth date (reveal the case's values to see them).
    requested_value: Any
    justification: str
    received_on: date
    acknowledge_by: date
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    amendment_id: str | None
    # Set on a denial: the requester may file a statement of disagreement (552a(d)(3)).
    statement_of_disagreement: str | None
    # Set on an acceptance: the earlier recipients told of the correction (552a(c)(4)).
    notified: list[str]
