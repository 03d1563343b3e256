"""Staff action requests and the views of what they leave on a case."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number


class Office(StrEnum):
    """The offices a case can be assigned to, and staff belong to: the one list of them.

    Referrals (issue 5) will own the full agency directory.
    """

    FIELD_OPERATIONS = "field_operations"
    BORDER_PATROL = "border_patrol"
    AIR_AND_MARINE = "air_and_marine"
    TRADE = "trade"
    TRUSTED_TRAVELER_PROGRAMS = "trusted_traveler_programs"
    PROFESSIONAL_RESPONSIBILITY = "professional_responsibility"
    PRIVACY = "privacy"
    INFORMATION_CENTER = "information_center"


Priority = Literal["low", "normal", "high", "urgent"]
NoteStage = Literal["intake", "review", "assignment", "resolution"]
LinkRelation = Literal["duplicate_of", "related_to"]
# How a case ended; documented in the README ("Working a case").
Disposition = Literal[
    "substantiated",
    "partially_substantiated",
    "unsubstantiated",
    "resolved_with_explanation",
    "information_provided",
    "acknowledged_no_action",
    "referred",
    "no_jurisdiction",
    "insufficient_information",
    "duplicate",
    "withdrawn_by_submitter",
]
# Statuses staff set directly; closing, reopening and withdrawing have their own actions.
WorkingStatus = Literal[
    "triage", "assigned", "referred", "awaiting_information", "resolved", "redirected"
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddNote(ActionRequest):
    stage: NoteStage
    text: Text


class Assign(ActionRequest):
    office: Office
    # None leaves the case in the office's queue for a supervisor to hand out.
    assignee: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None


class SetPriority(ActionRequest):
    priority: Priority


class SetTags(ActionRequest):
    tags: list[Tag] = Field(max_length=20)


class LinkCase(ActionRequest):
    control_number: str
    relation: LinkRelation

    @field_validator("control_number")
    @classmethod
    def _canonical(cls, value: str) -> str:
        try:
            return parse_control_number(value)
        except InvalidControlNumber as error:
            raise ValueError(str(error)) from error


class AddSourcePointer(ActionRequest):
    # A system of record, e.g. TECS or GES; the reference is its record id, never the record.
    system: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
    reference_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]


class RecordFindings(ActionRequest):
    findings: Text
    recommendations: Text | None = None


class SetDisposition(ActionRequest):
    disposition: Disposition


class ChangeStatus(ActionRequest):
    status: WorkingStatus
    reason: Reason


class CloseCaseRequest(ActionRequest):
    reason: Reason
    # May be set here or earlier with the disposition action; a case never closes without one.
    disposition: Disposition | None = None


class ReopenCaseRequest(ActionRequest):
    reason: Reason


class WithdrawCaseRequest(ActionRequest):
    """Staff recording a withdrawal the submitter asked for by phone or mail."""

    reason: Reason


class NoteView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    stage: str
    text: str
    author: str
    created_at: datetime


class LinkView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    linked_control_number: str
    relation: str
    created_at: datetime


class SourcePointerView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    system: str
    reference_id: str
    created_at: datetime


class SupplementView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    supplement_id: str
    text: str | None
    attachments: list[str]
    supplemented_at: datetime


class AmendmentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    amendment_id: str
    field: str
    previous_value: Any
    new_value: Any
    reason: str | None
    corrected_at: datetime


class TimelineEntryView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    summary: str
    actor: str
    data: dict[str, Any]
    occurred_at: datetime


class Timeline(BaseModel):
    control_number: str
    entries: list[TimelineEntryView]
