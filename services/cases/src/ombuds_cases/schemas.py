"""The staff API's view of a case."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ombuds_cases.case.schemas import (
    AmendmentView,
    LinkView,
    NoteView,
    SourcePointerView,
    SupplementView,
)
from ombuds_cases.inforeq.schemas import InformationRequestView
from ombuds_cases.referrals.schemas import CaseReferralView


class StatusChangeView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str
    changed_at: datetime


class ContactView(BaseModel):
    first_name: str | None
    last_name: str | None
    email: str | None


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    control_number: str
    kind: str
    category: str
    channel: str
    status: str
    anonymous: bool
    received_at: datetime
    updated_at: datetime
    office: str | None
    assignee: str | None
    priority: str
    # When the submitter is owed an answer; None on cases opened before due dates existed.
    due_at: datetime | None = None


class CaseDetail(CaseSummary):
    form_version: str | None
    topic: str | None
    narrative: str
    incident_date: date | None
    port_of_entry: str | None
    language: str
    contact: ContactView | None
    # Everything else the question path asked, by section; identity numbers and the date of
    # birth appear as {"masked": true, "value": "•••••1234"} (POST .../reveal shows them).
    details: dict[str, Any]
    workflow_id: str
    status_history: list[StatusChangeView]
    tags: list[str]
    findings: str | None
    recommendations: str | None
    disposition: str | None
    closed_at: datetime | None
    # Set once retention ran out: personal data purged, the case kept only as a number.
    archived_at: datetime | None = None
    notes: list[NoteView]
    links: list[LinkView]
    source_pointers: list[SourcePointerView]
    # What the submitter added and corrected through self-service, beside the original.
    supplements: list[SupplementView]
    amendments: list[AmendmentView]
    # Questions put to the submitter, oldest first, each with its answer once it came.
    information_requests: list[InformationRequestView] = []
    # Where the case was referred and what the recipient has said (issue 5).
    referrals: list[CaseReferralView] = []


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    # True when `total` is a floor, not a count: a full-text search counts at most 1,000
    # matches (repository.SEARCH_COUNT_LIMIT) and says "1,000 or more".
    total_capped: bool = False
    limit: int
    offset: int
