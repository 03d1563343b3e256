"""Case decisions: open a case from a submission, move it through its statuses."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.crypto.identity import seal_details
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.crypto.keys import new_data_key
from ombuds_cases.models import Case, OutboxRecord, StatusChange
from ombuds_cases.privacy.config import default_blind_key
from ombuds_cases.privacy.indexer import index_opened_case
from ombuds_cases.queue.due import due_at_for
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_OPENED_V1,
    CASES_TOPIC,
    CaseOpenedV1,
    CloudEvent,
    SubmissionReceivedV1,
    SubmissionReceivedV2,
    make_event,
)
from ombuds_shared.http import NotFoundError
from ombuds_shared.outbox import add_to_outbox

# The workflow's first step: a case staff has already taken past `received` keeps its status.
TRIAGE_STEP = "acknowledged"


def _submitted_details(received: SubmissionReceivedV1 | SubmissionReceivedV2) -> dict[str, Any]:
    """Case columns from either version of `submission.received` still in flight."""
    if isinstance(received, SubmissionReceivedV1):
        contact = received.contact
        return {
            "contact_first_name": contact.first_name if contact else None,
            "contact_last_name": contact.last_name if contact else None,
            "contact_email": str(contact.email) if contact else None,
            "narrative": received.narrative,
            "incident_date": received.incident_date,
            "port_of_entry": received.port_of_entry,
            "details": {},
        }
    person: dict[str, Any] = received.contact or {}
    incident = received.incident
    sections = {"contact": received.contact, "trade": received.trade, "identity": received.identity}
    return {
        "form_version": received.form_version,
        "topic": received.topic,
        "contact_first_name": person.get("first_name"),
        "contact_last_name": person.get("last_name"),
        "contact_email": person.get("email"),
        "narrative": incident["narrative"],
        "incident_date": date.fromisoformat(incident["incident_date"])
        if incident.get("incident_date")
        else None,
        "port_of_entry": incident.get("port_of_entry"),
        "details": {
            **{name: section for name, section in sections.items() if section},
            "incident": incident,
            "attachments": received.attachments,
            **({"channel_details": received.channel_details} if received.channel_details else {}),
        },
    }


class CaseNotFoundError(NotFoundError):
    def __init__(self, control_number: str) -> None:
        super().__init__(f"No case has control number {control_number}.")


def open_case(
    session: AsyncSession,
    received: SubmissionReceivedV1 | SubmissionReceivedV2,
    keyring: FieldKeyring | None = None,
    blind_key: bytes | None = None,
) -> Case:
    """Stage a new case in status `received`, with its data key, first history entry and event.

    Identity numbers and the date of birth are sealed under the new case's data key before
    they reach the session: no plaintext copy is ever written to the cases table.
    """
    now = utcnow()
    cipher = new_data_key(session, keyring or default_keyring(), received.control_number)
    submitted = _submitted_details(received)
    clear_details = submitted["details"]
    submitted["details"] = seal_details(cipher, clear_details)
    case = Case(
        control_number=received.control_number,
        kind=received.kind,
        category=received.category,
        channel=received.channel,
        anonymous=received.anonymous,
        language=received.language,
        status="received",
        received_at=received.received_at,
        due_at=due_at_for(received.kind, received.received_at),
        opened_at=now,
        updated_at=now,
        **submitted,
    )
    session.add(case)
    # The blind index is filled from the clear values here, the only time they are at hand.
    index_opened_case(session, blind_key or default_blind_key(), case, clear_details)
    session.add(
        StatusChange(
            case=case,
            from_status=None,
            to_status="received",
            reason=f"{received.kind} received via {received.channel}",
            step="opened",
            changed_at=now,
        )
    )
    timeline.record(
        session,
        case,
        "opened",
        f"{received.kind} received via {received.channel}",
        actor="intake",
        data={"status": "received"},
    )
    body = CaseOpenedV1(control_number=case.control_number, status=case.status, opened_at=now)
    add_event(session, make_event(timeline.EVENT_SOURCE, CASE_OPENED_V1, body, case.control_number))
    return case


def add_event(session: AsyncSession, event: CloudEvent) -> None:
    add_to_outbox(session, OutboxRecord, CASES_TOPIC, event)


async def change_status(
    session: AsyncSession, control_number: str, to_status: str, reason: str, step: str
) -> bool:
    """Apply a workflow step's status change once; False when there was nothing to apply.

    Nothing to apply: the step was already applied (a retried activity), the case is already
    in `to_status` (a staff action recorded it first), or staff took the case past `received`
    before the workflow's triage step ran.
    """
    case = await repository.by_control_number(session, control_number)
    if case is None:
        raise CaseNotFoundError(control_number)
    if await repository.step_applied(session, case.id, step):
        return False
    if case.status == to_status or (step == TRIAGE_STEP and case.status != "received"):
        return False
    timeline.move(session, case, to_status, reason, step, actor="workflow")
    return True
