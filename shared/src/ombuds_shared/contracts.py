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


class LifecycleState(Contract):
    control_number: str
    status: str
    acknowledged: bool
    acknowledgement_message_id: str | None = None
