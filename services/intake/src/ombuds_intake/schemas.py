"""What the public API answers. Requests are validated by the question paths in `forms/`."""

from datetime import datetime

from pydantic import BaseModel

from ombuds_intake.self_service.schemas import AmendmentSummary, SupplementSummary


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
    # What the submitter added or corrected since (self-service), oldest first; the lookup
    # needs only the email, so it names what changed, never the content or the values.
    supplements: list[SupplementSummary] = []
    amendments: list[AmendmentSummary] = []
