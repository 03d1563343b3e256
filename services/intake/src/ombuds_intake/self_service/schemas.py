"""Requests and answers of the self-service API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ombuds_intake.attachments.models import ATTACHMENT_ID_PATTERN

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
AttachmentId = Annotated[str, StringConstraints(pattern=ATTACHMENT_ID_PATTERN)]
MAX_SUPPLEMENT_LENGTH = 10_000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerificationRequest(_Request):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class VerificationConfirmation(_Request):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class SupplementRequest(_Request):
    text: (
        Annotated[
            str,
            StringConstraints(
                strip_whitespace=True, min_length=1, max_length=MAX_SUPPLEMENT_LENGTH
            ),
        ]
        | None
    ) = None
    attachments: list[AttachmentId] = Field(default_factory=list, max_length=20)
    # The id of the staff request for information this answers (from the emailed reply link).
    reply_to_request: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None


class CorrectionRequest(_Request):
    field: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    value: Any = None
    reason: Reason | None = None


class WithdrawalRequest(_Request):
    reason: Reason | None = None
    # The submitter must say yes in so many words: a withdrawal closes the case.
    confirm: Literal[True]


class VerificationRequested(BaseModel):
    detail: str


class SelfServiceToken(BaseModel):
    token: str
    expires_in: int
    control_number: str
    header: str = "X-Self-Service-Token"


class SupplementView(BaseModel):
    supplement_id: str
    text: str | None
    attachments: list[str]
    reply_to_request: str | None = None
    supplemented_at: datetime


class AmendmentView(BaseModel):
    amendment_id: str
    field: str
    previous_value: Any
    new_value: Any
    reason: str | None
    amended_at: datetime


class WithdrawalView(BaseModel):
    control_number: str
    status: str
    reason: str | None
    withdrawn_at: datetime


class SupplementSummary(BaseModel):
    """What the status lookup (email only, no code) shows of a supplement: no content."""

    supplement_id: str
    supplemented_at: datetime
    attachment_count: int


class AmendmentSummary(BaseModel):
    """What the status lookup shows of a correction: which field and when, not the values."""

    amendment_id: str
    field: str
    amended_at: datetime
