"""What the public API answers. Requests are validated by the question paths in `forms/`."""

from datetime import datetime

from pydantic import BaseModel


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
