"""Bodies of the routing API: a case to route, the suggestion, rules, and staff decisions."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number

# The submission kinds of the intake forms.
CaseKind = Literal["compliment", "question", "complaint", "tip", "comment"]
Category = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def canonical_control_number(value: str) -> str:
    try:
        return parse_control_number(value)
    except InvalidControlNumber as error:
        raise ValueError(str(error)) from error


class CaseToRoute(Body):
    """What the rules look at: the case's kind, category and narrative (any language)."""

    kind: CaseKind
    category: Category | None = None
    text: str = Field(default="", max_length=100_000)


class RuleView(BaseModel):
    id: str
    priority: int
    description: str
    kinds: list[str]
    categories: list[str]
    keywords: list[str]
    recipient_id: str
    disabled: bool
    created_at: datetime
    updated_at: datetime


class Suggestion(BaseModel):
    """The first rule by priority that matched, the recipient it names, and why."""

    matched: bool
    recipient_id: str | None
    recipient_name: str | None
    rule: RuleView | None
    reason: str


class RuleFields(Body):
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    kinds: list[CaseKind] | None = None
    categories: list[Category] | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=500)
    recipient_id: str | None = Field(default=None, min_length=1, max_length=64)


class RuleCreate(RuleFields):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    priority: int = Field(ge=0, le=1_000_000)
    description: str = Field(min_length=1, max_length=2000)
    kinds: list[CaseKind] = []
    categories: list[Category] = []
    keywords: list[Keyword] = Field(default=[], max_length=500)
    recipient_id: str = Field(min_length=1, max_length=64)


class RuleUpdate(RuleFields):
    """Only the fields given change; an empty list means "any"."""

    disabled: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class DecisionCreate(Body):
    """Staff confirmed the suggestion or chose another recipient (by referral or assignment
    through their own APIs); this records which, for reporting on the rules."""

    control_number: str = Field(max_length=32)
    suggested_rule_id: str | None = Field(default=None, max_length=64)
    chosen_recipient_id: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)

    _canonical = field_validator("control_number")(canonical_control_number)


class DecisionView(BaseModel):
    id: int
    control_number: str
    suggested_rule_id: str | None
    suggested_recipient_id: str | None
    chosen_recipient_id: str
    accepted: bool
    reason: str | None
    decided_at: datetime
