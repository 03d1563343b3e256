"""The request-for-information action and its view on the case page."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ombuds_cases.case.schemas import ActionRequest, SupplementView

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class RequestInformationBody(ActionRequest):
    question: Question
    # Business days on the federal holiday calendar; CASES_INFORMATION_REQUEST_DUE_DAYS if unset.
    due_in_business_days: int | None = Field(default=None, ge=1, le=120)


class InformationRequestView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: str
    question: str
    due_at: datetime
    asked_by: str
    asked_at: datetime
    answered_at: datetime | None
    answer_supplement_id: str | None
    # The answer's text and files, once the submitter has replied.
    answer: SupplementView | None = None
