"""Workflow contracts: names, task queues and the one input model per workflow/activity/signal."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

CASE_LIFECYCLE_WORKFLOW = "CaseLifecycle"
WORKFLOWS_TASK_QUEUE = "ombuds-workflows"
CASES_TASK_QUEUE = "ombuds-cases"
NOTIFICATIONS_TASK_QUEUE = "ombuds-notifications"

SEND_ACKNOWLEDGEMENT_ACTIVITY = "notifications.send_acknowledgement"
PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY = "notifications.prepare_acknowledgement_letter"
RECORD_CASE_STATUS_ACTIVITY = "cases.record_status"
CLOSE_CASE_SIGNAL = "close_case"
REOPEN_CASE_SIGNAL = "reopen_case"
WITHDRAW_CASE_SIGNAL = "withdraw_case"
LIFECYCLE_STATE_QUERY = "state"
# Service levels (issue 5 item 7): status changes and information requests reach the case's
# workflow as signals; its clocks are answered by a query.
STATUS_CHANGED_SIGNAL = "status_changed"
REQUEST_INFORMATION_SIGNAL = "request_information"
INFORMATION_RECEIVED_SIGNAL = "information_received"
SERVICE_LEVELS_QUERY = "service_levels"
RECORD_SLA_BREACH_ACTIVITY = "cases.record_sla_breach"
RECORD_INFORMATION_OVERDUE_ACTIVITY = "cases.record_information_overdue"
# Custom search attributes (all Keyword), registered when the dev server starts.
SA_CONTROL_NUMBER = "ControlNumber"
SA_CASE_KIND = "CaseKind"
SA_CASE_CATEGORY = "CaseCategory"
SA_CASE_STATUS = "CaseStatus"
SA_CASE_OFFICE = "CaseOffice"
SA_SLA_STATE = "SlaState"
SEARCH_ATTRIBUTES = (
    SA_CONTROL_NUMBER,
    SA_CASE_KIND,
    SA_CASE_CATEGORY,
    SA_CASE_STATUS,
    SA_CASE_OFFICE,
    SA_SLA_STATE,
)


def case_workflow_id(control_number: str) -> str:
    return f"case-{control_number}"


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True)


class CaseLifecycleInput(Contract):
    control_number: str
    kind: str
    category: str
    channel: str
    anonymous: bool
    # The acknowledgement needs an address; nothing else personal rides in workflow history.
    recipient_email: str | None = None
    recipient_name: str | None = None
    language: str = "en"
    # For mail, fax and comment-card submissions: where the acknowledgement letter goes.
    address_lines: list[str] = []
    # Service levels, in business days on the federal-holiday calendar (the cases service
    # fills them per kind from its settings); a breach is emailed to the supervisor, if any.
    triage_business_days: int = 3
    response_business_days: int = 30
    supervisor_email: str | None = None
    # True when the case was started with its search attributes, so the server has them
    # registered and the workflow may upsert CaseStatus and SlaState as they change.
    search_attributes: bool = False


class SendAcknowledgement(Contract):
    control_number: str
    kind: str
    recipient_email: str
    recipient_name: str
    language: str = "en"


class AcknowledgementResult(Contract):
    message_id: str
    already_sent: bool
    sent_at: datetime


class PrepareAcknowledgementLetter(Contract):
    """A printable acknowledgement for a submission that came by mail, fax or comment card."""

    control_number: str
    kind: str
    channel: str
    recipient_name: str
    # The postal address block, one line per entry, as it should be printed.
    address_lines: list[str]
    language: str = "en"


class LetterResult(Contract):
    message_id: str
    already_prepared: bool


class RecordCaseStatus(Contract):
    control_number: str
    to_status: str
    reason: str
    # The step that asks for this change; retries of one step apply it once.
    step: str


class CloseCase(Contract):
    reason: str
    # True when the cases service has already recorded the change (a staff action applied
    # it in its own transaction): the workflow follows it without recording it again.
    already_recorded: bool = False


class ReopenCase(Contract):
    """Back to triage after closure; the workflow waits for the next close again."""

    reason: str
    already_recorded: bool = False


class WithdrawCase(Contract):
    """The submitter (or staff on the submitter's behalf) withdrew: the workflow ends."""

    reason: str
    already_recorded: bool = False


class StatusChanged(Contract):
    """A staff action moved the case between working statuses (already recorded)."""

    to_status: str
    reason: str = ""
    # Set by an assignment: the office, for the CaseOffice search attribute.
    office: str | None = None


class RequestInformation(Contract):
    request_id: str
    due_at: datetime
    question: str = ""


class InformationReceived(Contract):
    request_id: str


class ClockLevel(Contract):
    """One service-level clock: "triage" or "response"."""

    clock: str
    # on_track, due_soon (one business day or less left), breached, paused, met.
    state: str
    due_at: datetime
    business_days: int
    # Business days from today to the due date (negative once past), and exact seconds.
    remaining_business_days: int
    remaining_seconds: int
    stopped_at: datetime | None = None
    breached_at: datetime | None = None


class ServiceLevels(Contract):
    control_number: str
    status: str
    # The overall state (the SlaState search attribute): breached, paused, on_track or met.
    state: str
    paused: bool
    open_information_requests: list[str] = []
    # Empty for a case started before service levels were tracked.
    clocks: list[ClockLevel] = []
    # Why the levels are unknown (no workflow, not tracked), when they are.
    detail: str = ""


class RecordSlaBreach(Contract):
    control_number: str
    clock: str
    # Unique per case and clock cycle ("triage", "response-2" after a reopen): applied once.
    key: str
    due_at: datetime
    breached_at: datetime
    business_days: int


class RecordInformationOverdue(Contract):
    """The submitter did not answer a request for information by its own due date."""

    control_number: str
    request_id: str
    due_at: datetime


class LifecycleState(Contract):
    control_number: str
    status: str
    acknowledged: bool
    acknowledgement_message_id: str | None = None


# Referrals
# The `Referral` workflow (id `referral-<referral id>`) delivers a referral on every channel of
# its recipient and follows it through acknowledgement, response and disposition. Its
# activities live in the referrals service, on the referrals task queue.

REFERRAL_WORKFLOW = "Referral"
REFERRALS_TASK_QUEUE = "ombuds-referrals"

DELIVER_REFERRAL_ACTIVITY = "referrals.deliver"
RECORD_REFERRAL_STEP_ACTIVITY = "referrals.record_step"
REFERRAL_SNAPSHOT_ACTIVITY = "referrals.snapshot"

REFERRAL_ACKNOWLEDGED_SIGNAL = "acknowledged"
REFERRAL_RESPONDED_SIGNAL = "responded"
REFERRAL_DISPOSITION_SIGNAL = "disposition_received"
RECALL_REFERRAL_SIGNAL = "recall"
REFERRAL_STATE_QUERY = "state"
# Sent to the case's CaseLifecycle with a ReferralInput: it starts the Referral as its child
# (id `referral-<referral id>`, abandoned when the case workflow ends).
START_REFERRAL_SIGNAL = "start_referral"

# Delivery channels a directory entry may have, any combination.
CHANNEL_KAFKA = "kafka"
CHANNEL_WEBHOOK = "webhook"
CHANNEL_EMAIL = "email"


def referral_workflow_id(referral_id: str) -> str:
    return f"referral-{referral_id}"


class ReferralInput(Contract):
    referral_id: str
    control_number: str
    recipient_id: str
    # The recipient's channels at the time of referral.
    channels: list[str]
    acknowledgement_business_days: int
    response_business_days: int
    # Between the first reminder, the second and the escalation.
    reminder_interval_business_days: int = 2
    # Count Inauguration Day as a holiday (it is one only around Washington, D.C.).
    inauguration_day: bool = False
    # For the email channel (referral-email-v1): an office's address, never a person's data.
    # Inputs from before that change carry none, and so are not emailed.
    recipient_name: str = ""
    recipient_email: str | None = None
    purpose: str = ""
    nature: str = ""


class DeliverReferral(Contract):
    referral_id: str
    channel: str
    # "referral", "reminder-acknowledgement-1", ..., "recall": what the recipient is told.
    action: str
    # One delivery per referral, action and channel however often the activity is retried.
    idempotency_key: str
    deadline: datetime | None = None


class DeliveryResult(Contract):
    channel: str
    already_delivered: bool


class RecordReferralStep(Contract):
    """A timer step: a reminder or an escalation in the acknowledgement or response phase."""

    referral_id: str
    step: str  # "reminder" or "escalated"
    phase: str  # "acknowledgement" or "response"
    number: int = 0
    at: datetime
    next_deadline: datetime | None = None


class ReferralSnapshot(Contract):
    """What the referrals database knows; the workflow learns any signal it missed from it."""

    status: str
    acknowledged: bool
    responded: bool
    disposition_received: bool
    recalled: bool
    # False when the step was not recorded because the database shows it is no longer due.
    step_recorded: bool = False


class ReferralAcknowledged(Contract):
    at: datetime


class ReferralResponded(Contract):
    at: datetime


class ReferralDispositionReceived(Contract):
    # The disposition's text stays in the referrals database, out of workflow history.
    at: datetime


class RecallReferral(Contract):
    reason: str


class ReferralState(Contract):
    referral_id: str
    status: str
    acknowledgement_deadline: datetime | None = None
    response_deadline: datetime | None = None
    reminders_sent: int = 0
    escalations: list[str] = []
    failed_channels: list[str] = []


# The email channel of a referral: sent by the notifications service, once per referral,
# action and channel (the idempotency key) whatever the retries; the Referral workflow then
# records the delivery with `referrals.deliver` on channel "email" (which sends nothing).
SEND_REFERRAL_EMAIL_ACTIVITY = "notifications.send_referral_email"


class SendReferralEmail(Contract):
    referral_id: str
    control_number: str
    recipient_id: str
    recipient_name: str
    recipient_email: str
    # "referral", "reminder-acknowledgement-1", ..., "recall", as on the other channels.
    action: str
    purpose: str
    nature: str
    deadline: datetime | None = None
    idempotency_key: str


class ReferralEmailResult(Contract):
    message_id: str
    already_sent: bool


# Staff escalations (issue 6): a generic email to a supervisor, for any workflow that finds a
# case overdue. Idempotent per case and step: retries and replays send one email.
SEND_STAFF_ESCALATION_ACTIVITY = "notifications.send_staff_escalation"


class SendStaffEscalation(Contract):
    control_number: str
    # Unique per case for one escalation, e.g. "triage-sla" or "rfi-deadline-2".
    step: str
    supervisor_email: str
    # What is overdue, in words for the supervisor: "triage (SLA 5 business days)".
    overdue: str
    due_at: datetime
    case_url: str | None = None
    language: str = "en"


class StaffEscalationResult(Contract):
    message_id: str
    already_sent: bool
