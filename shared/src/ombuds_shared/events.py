"""Event contracts: the CloudEvents 1.0 envelope and every versioned event body.

A schema change is a new `vN` model; consumers keep accepting the versions still in flight.
"""

from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, EmailStr, Field

SUBMISSIONS_TOPIC = "ombuds.submissions.v1"
CASES_TOPIC = "ombuds.cases.v1"
REFERRALS_TOPIC = "ombuds.referrals.v1"
NOTIFICATIONS_TOPIC = "ombuds.notifications.v1"
REFERRALS_OUTBOUND_TOPIC = "ombuds.referrals.outbound.v1"
# One-time codes and links for the public (self-service, account email checks); short-lived.
VERIFICATIONS_TOPIC = "ombuds.verifications.v1"

SUBMISSION_RECEIVED_V1 = "ombuds.submission.received.v1"
SUBMISSION_RECEIVED_V2 = "ombuds.submission.received.v2"
SUBMISSION_SUPPLEMENTED_V1 = "ombuds.submission.supplemented.v1"
# v2 adds `reply_to_request`: the supplement answers a staff request for information.
SUBMISSION_SUPPLEMENTED_V2 = "ombuds.submission.supplemented.v2"
SUBMISSION_CORRECTED_V1 = "ombuds.submission.corrected.v1"
SUBMISSION_WITHDRAWN_V1 = "ombuds.submission.withdrawn.v1"
VERIFICATION_CODE_ISSUED_V1 = "ombuds.verification.code-issued.v1"
CASE_OPENED_V1 = "ombuds.case.opened.v1"
CASE_STATUS_CHANGED_V1 = "ombuds.case.status-changed.v1"
# Staff actions and applied self-service (issue 4); each names the case in `subject`. Bodies
# carry what downstream needs to follow the case, not note or findings text (minimisation).
CASE_NOTE_ADDED_V1 = "ombuds.case.note-added.v1"
CASE_ASSIGNED_V1 = "ombuds.case.assigned.v1"
CASE_PRIORITY_CHANGED_V1 = "ombuds.case.priority-changed.v1"
CASE_TAGS_CHANGED_V1 = "ombuds.case.tags-changed.v1"
CASE_LINKED_V1 = "ombuds.case.linked.v1"
CASE_SOURCE_POINTER_ADDED_V1 = "ombuds.case.source-pointer-added.v1"
CASE_FINDINGS_RECORDED_V1 = "ombuds.case.findings-recorded.v1"
CASE_DISPOSITION_SET_V1 = "ombuds.case.disposition-set.v1"
CASE_CLOSED_V1 = "ombuds.case.closed.v1"
CASE_REOPENED_V1 = "ombuds.case.reopened.v1"
CASE_WITHDRAWN_V1 = "ombuds.case.withdrawn.v1"
CASE_REDIRECTED_V1 = "ombuds.case.redirected.v1"
CASE_SLA_BREACHED_V1 = "ombuds.case.sla-breached.v1"
CASE_SUPPLEMENTED_V1 = "ombuds.case.supplemented.v1"
CASE_AMENDED_V1 = "ombuds.case.amended.v1"
# An amendment request accepted (552a(d)(2)): names every earlier recipient of the record so
# each can be told of the correction (552a(c)(4)).
CASE_RECORD_AMENDED_V1 = "ombuds.case.record-amended.v1"
CASE_INFORMATION_REQUESTED_V1 = "ombuds.case.information-requested.v1"
# Staff referred the case from the staff workspace (issue 5); the referrals service creates
# the referral (with `referral_id` as its id) and starts its workflow.
CASE_REFERRAL_REQUESTED_V1 = "ombuds.case.referral-requested.v1"
# Issue 6: the Retention workflow's proof that a closed case was purged from every store.
CASE_DELETION_CERTIFIED_V1 = "ombuds.case.deletion-certified.v1"
NOTIFICATION_SENT_V1 = "ombuds.notification.sent.v1"
NOTIFICATION_FAILED_V1 = "ombuds.notification.failed.v1"
CASE_ARCHIVE_REQUESTED_V1 = "ombuds.case.archive-requested.v1"
STORE_CLEARED_V1 = "ombuds.retention.store-cleared.v1"


class CloudEvent(BaseModel):
    """CloudEvents 1.0, structured JSON mode; `subject` is the control number."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]


class EventBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubmitterContactV1(EventBody):
    first_name: str
    last_name: str
    email: EmailStr


class SubmissionReceivedV1(EventBody):
    control_number: str
    kind: str
    category: str
    channel: str
    anonymous: bool
    contact: SubmitterContactV1 | None
    narrative: str
    incident_date: date | None
    port_of_entry: str | None
    language: str
    received_at: datetime


class SubmissionReceivedV2(EventBody):
    """A submission validated against a versioned question path (issue 3).

    The sections are exactly what that path asked, keyed as in the form definition named by
    `form_version`; a section the path does not ask is absent.
    """

    control_number: str
    form_version: str
    kind: str
    category: str
    topic: str | None
    channel: str
    anonymous: bool
    language: str
    contact: dict[str, Any] | None
    incident: dict[str, Any]
    trade: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    attachments: list[str] = []
    # Staff-entered channels: a phone call's time and number, a paper submission's scan.
    channel_details: dict[str, Any] | None = None
    received_at: datetime


class SubmissionSupplementedV1(EventBody):
    """The submitter added text or files to a case (self-service, PIA 7.3)."""

    control_number: str
    supplement_id: str
    text: str | None
    attachments: list[str] = []
    supplemented_at: datetime


class SubmissionSupplementedV2(EventBody):
    """A supplement that may answer a request for information (`reply_to_request`, its id)."""

    control_number: str
    supplement_id: str
    text: str | None
    attachments: list[str] = []
    reply_to_request: str | None = None
    supplemented_at: datetime


class SubmissionCorrectedV1(EventBody):
    """The submitter amended one field; the original stays on record beside the amendment."""

    control_number: str
    amendment_id: str
    # Dotted path into the question path as asked, e.g. `contact.phone` or `incident.narrative`.
    field: str
    previous_value: Any
    new_value: Any
    reason: str | None
    corrected_at: datetime


class SubmissionWithdrawnV1(EventBody):
    """The submitter withdrew; the case closes as withdrawn and is still retained."""

    control_number: str
    reason: str | None
    withdrawn_at: datetime


class VerificationCodeIssuedV1(EventBody):
    """A one-time code (and link) for notifications to email; intake keeps only its hash.

    `subject` of the envelope is the control number when there is one, else the account id.
    """

    verification_id: str
    purpose: Literal["self_service", "verify_email", "attach_case"]
    recipient_email: EmailStr
    recipient_name: str | None
    language: str
    code: str
    link: str | None
    control_number: str | None
    expires_at: datetime


class CaseOpenedV1(EventBody):
    control_number: str
    status: str
    opened_at: datetime


class CaseStatusChangedV1(EventBody):
    control_number: str
    from_status: str
    to_status: str
    reason: str
    changed_at: datetime


class CaseNoteAddedV1(EventBody):
    control_number: str
    note_id: int
    stage: str
    author: str
    added_at: datetime


class CaseAssignedV1(EventBody):
    control_number: str
    office: str
    assignee: str | None
    assigned_by: str
    assigned_at: datetime


class CasePriorityChangedV1(EventBody):
    control_number: str
    from_priority: str
    to_priority: str
    changed_at: datetime


class CaseTagsChangedV1(EventBody):
    control_number: str
    tags: list[str]
    changed_at: datetime


class CaseLinkedV1(EventBody):
    control_number: str
    linked_control_number: str
    relation: str
    linked_at: datetime


class CaseSourcePointerAddedV1(EventBody):
    control_number: str
    system: str
    reference_id: str
    added_at: datetime


class CaseFindingsRecordedV1(EventBody):
    control_number: str
    has_findings: bool
    has_recommendations: bool
    recorded_at: datetime


class CaseDispositionSetV1(EventBody):
    control_number: str
    disposition: str
    set_at: datetime


class CaseClosedV1(EventBody):
    control_number: str
    disposition: str
    reason: str
    closed_at: datetime


class CaseSlaBreachedV1(EventBody):
    control_number: str
    # "triage" or "response"; `key` adds the cycle after a reopen ("response-2").
    clock: str
    key: str
    due_at: datetime
    breached_at: datetime


class CaseInformationRequestedV1(EventBody):
    """Staff asked the submitter a question; `reply_path` is the portal page that answers it
    (relative: the notifications service puts its portal address in front)."""

    control_number: str
    request_id: str
    question: str
    due_at: datetime
    reply_path: str
    requested_at: datetime


class CaseReopenedV1(EventBody):
    control_number: str
    reason: str
    reopened_at: datetime


class CaseWithdrawnV1(EventBody):
    control_number: str
    # "submitter" when it came through self-service, else the staff member who recorded it.
    withdrawn_by: str
    reason: str | None
    withdrawn_at: datetime


class CaseRedirectedV1(EventBody):
    """The case was outside the agency's remit and is closed: what the submitter must be told
    (DHS TRIP's redress process, or to contact the outside agency); no message if anonymous."""

    control_number: str
    to: Literal["dhs_trip", "outside_agency"]
    agency_name: str | None
    reason: str
    disposition: str
    anonymous: bool
    recipient_email: EmailStr | None
    recipient_name: str | None
    language: str
    redirected_at: datetime


class CaseSupplementedV1(EventBody):
    control_number: str
    supplement_id: str
    attachment_count: int
    supplemented_at: datetime


class CaseAmendedV1(EventBody):
    control_number: str
    amendment_id: str
    field: str
    amended_at: datetime


class CorrectionRecipientV1(EventBody):
    """An earlier recipient of the record, from the accounting of disclosures."""

    name: str
    address: str
    disclosed_at: datetime


class CaseRecordAmendedV1(EventBody):
    control_number: str
    amendment_request_id: int
    amendment_id: str
    field: str
    amended_at: datetime
    recipients: list[CorrectionRecipientV1]


class CaseReferralRequestedV1(EventBody):
    """Refer the case to a directory entry; the id is chosen here so that a redelivery, or a
    retry of the consumer, creates one referral."""

    control_number: str
    referral_id: str
    recipient_id: str
    # Form DHS-191: why the record is shared, and what it is.
    purpose: str
    nature: str
    requested_by: str
    requested_at: datetime


class CaseDeletionCertifiedV1(EventBody):
    """Every store that held the case's record is cleared; names stores and counts only."""

    control_number: str
    certificate_id: str
    issued_at: datetime
    # When the purge fell due (None if the cases service never saw the run start).
    due_at: datetime | None
    # service -> store (table or file store) -> rows or files removed
    manifests: dict[str, dict[str, int]]
    # How many legal holds delayed the purge (their reasons stay in the cases service).
    holds: int


class NotificationSentV1(EventBody):
    control_number: str
    message_id: str
    template: str
    channel: str
    sent_at: datetime


class NotificationFailedV1(EventBody):
    """A message that did not reach the person: refused, failing past its attempts, or bounced."""

    control_number: str
    message_id: str
    template: str
    channel: str
    status: Literal["failed", "bounced"]
    reason: str
    attempts: int
    failed_at: datetime


class CaseArchiveRequestedV1(EventBody):
    """Retention expired: every service purges its personal data about the case, then says so."""

    control_number: str
    requested_at: datetime


class StoreClearedV1(EventBody):
    """One service's purge is done: `manifest` maps each table or file store to rows/files
    removed or scrubbed."""

    control_number: str
    service: str  # "intake", "referrals" or "notifications"
    manifest: dict[str, int]


def make_event(source: str, event_type: str, body: EventBody, subject: str) -> CloudEvent:
    return CloudEvent(
        source=source, type=event_type, subject=subject, data=body.model_dump(mode="json")
    )


# Referrals: on REFERRALS_TOPIC keyed by control number, except the outbound body, which goes
# on REFERRALS_OUTBOUND_TOPIC keyed by the recipient's directory id (the envelope's subject).
REFERRAL_CREATED_V1 = "ombuds.referral.created.v1"
REFERRAL_DELIVERED_V1 = "ombuds.referral.delivered.v1"
REFERRAL_ACKNOWLEDGED_V1 = "ombuds.referral.acknowledged.v1"
REFERRAL_QUESTION_ASKED_V1 = "ombuds.referral.question-asked.v1"
REFERRAL_REMINDER_SENT_V1 = "ombuds.referral.reminder-sent.v1"
REFERRAL_ESCALATED_V1 = "ombuds.referral.escalated.v1"
REFERRAL_RESPONDED_V1 = "ombuds.referral.responded.v1"
REFERRAL_DISPOSITION_RECEIVED_V1 = "ombuds.referral.disposition-received.v1"
REFERRAL_RECALLED_V1 = "ombuds.referral.recalled.v1"
REFERRAL_OUTBOUND_V1 = "ombuds.referral.outbound.v1"
# A referral asked for by `case.referral-requested` that could not be made (no such enabled
# directory entry): the case goes back to work.
REFERRAL_REFUSED_V1 = "ombuds.referral.refused.v1"
# 552a(c)(4): an earlier recipient in the directory is told of an accepted correction on the
# outbound topic (keyed by recipient id) and its webhook; one that is not (a named person
# given a copy by hand) is reported on REFERRALS_TOPIC so staff write a letter.
REFERRAL_CORRECTION_NOTICE_V1 = "ombuds.referral.correction-notice.v1"
REFERRAL_CORRECTION_UNDELIVERABLE_V1 = "ombuds.referral.correction-notice-undeliverable.v1"


# Under which Privacy Act subsection a referral shares the record: need to know inside DHS
# (552a(b)(1)), or a routine use of the DHS Correspondence Records SORN outside it (552a(b)(3),
# PIA section 6.2).
DisclosureBasis = Literal["b1_need_to_know", "b3_routine_use"]


class DisclosureV1(EventBody):
    """What Form DHS-191 accounts for (5 U.S.C. 552a(c)), on every referral's first delivery."""

    date: datetime
    nature: str
    purpose: str
    recipient_name: str
    recipient_address: str
    # Events staged before shares inside DHS were accounted carry no basis: only deliveries
    # outside DHS had a disclosure then, so its absence means a routine use.
    basis: DisclosureBasis = "b3_routine_use"


class ReferralEventV1(EventBody):
    referral_id: str
    control_number: str
    recipient_id: str
    occurred_at: datetime


class ReferralCreatedV1(ReferralEventV1):
    recipient_name: str
    recipient_kind: str
    purpose: str
    nature: str


class ReferralDeliveredV1(ReferralEventV1):
    channel: str
    action: str
    # Present for the first delivery of every referral, inside DHS or outside it.
    disclosure: DisclosureV1 | None = None


class ReferralAcknowledgedV1(ReferralEventV1):
    pass


class ReferralQuestionAskedV1(ReferralEventV1):
    question: str


class ReferralReminderSentV1(ReferralEventV1):
    phase: str
    number: int
    next_deadline: datetime | None


class ReferralEscalatedV1(ReferralEventV1):
    phase: str


class ReferralRespondedV1(ReferralEventV1):
    response: str


class ReferralDispositionReceivedV1(ReferralEventV1):
    disposition: str


class ReferralRecalledV1(ReferralEventV1):
    reason: str


class ReferralRefusedV1(ReferralEventV1):
    reason: str


class ReferralOutboundV1(EventBody):
    """What a recipient receives (outbound topic and webhook): no case content, only the
    control number and why; the recipient answers through the agency API."""

    referral_id: str
    control_number: str
    recipient_id: str
    action: str
    nature: str
    purpose: str
    deadline: datetime | None
    sent_at: datetime


class ReferralCorrectionNoticeV1(EventBody):
    """What an earlier recipient receives when a record it was given is corrected: the case
    and the field, not the value (the recipient asks through the agency API)."""

    notice_id: str
    control_number: str
    recipient_id: str
    amendment_id: str
    field: str
    amended_at: datetime
    disclosed_at: datetime
    sent_at: datetime


class ReferralCorrectionUndeliverableV1(EventBody):
    """An earlier recipient no channel reaches: staff tell it by letter."""

    control_number: str
    amendment_id: str
    field: str
    recipient_name: str
    recipient_address: str
    disclosed_at: datetime
    reason: str
    occurred_at: datetime
