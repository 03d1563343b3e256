"""What the public API answers. Requests are validated by the question paths in `forms/`."""

from datetime import datetime

from pydantic import BaseModel

from ombuds_intake.self_service.schemas import AmendmentView, SupplementView


class SubmissionAccepted(BaseModel):
    control_number: str
    status: str
    received_at: datetime
    form_version: str
    acknowledgement: str
    status_url: str


class SubmissionStatus(BaseModel):
    control_number: str
    kind: str
    category: str
    status: str
    received_at: datetime
    status_updated_at: datetime
    # What the submitter added or corrected since (self-service), oldest first.
    supplements: list[SupplementView] = []
    amendments: list[AmendmentView] = []
