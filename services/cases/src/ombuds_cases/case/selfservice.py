"""Applying the submitter's self-service events from intake: supplement, correct, withdraw.

Each event is applied once (the inbox row commits with the effect). An event for a case this
service has not opened is refused loudly and retried rather than dropped: events are keyed by
control number, so `submission.received` always comes first and a miss means something is
wrong upstream that an operator must see.
"""

import logging
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.case import closure, timeline
from ombuds_cases.case.records import Amendment, Supplement
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.case.status import can_move
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.crypto.identity import is_sensitive, seal_value
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.crypto.keys import CaseCipher, cipher_for
from ombuds_cases.inforeq import service as inforeq
from ombuds_cases.models import Case, InboxRecord
from ombuds_cases.privacy.config import default_blind_key
from ombuds_cases.privacy.indexer import index_correction
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    CASE_AMENDED_V1,
    CASE_SUPPLEMENTED_V1,
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_SUPPLEMENTED_V1,
    SUBMISSION_SUPPLEMENTED_V2,
    SUBMISSION_WITHDRAWN_V1,
    CaseAmendedV1,
    CaseSupplementedV1,
    CloudEvent,
    SubmissionCorrectedV1,
    SubmissionSupplementedV1,
    SubmissionSupplementedV2,
    SubmissionWithdrawnV1,
)
from ombuds_shared.inbox import claim_event

log = logging.getLogger(__name__)

SUBMITTER = "submitter"

# Fields the case also keeps as columns (for the queue and search), by their path as asked.
COLUMN_FIELDS = {
    "incident.narrative": "narrative",
    "incident.incident_date": "incident_date",
    "incident.port_of_entry": "port_of_entry",
    "contact.first_name": "contact_first_name",
    "contact.last_name": "contact_last_name",
    "contact.email": "contact_email",
}


class CaseNotOpenedYetError(Exception):
    """A self-service event arrived for a control number with no case; retried, never dropped."""


async def _case_for(session: AsyncSession, control_number: str) -> Case:
    case = await repository.by_control_number(session, control_number, for_update=True)
    if case is None:
        raise CaseNotOpenedYetError(
            f"self-service event for {control_number}, which has no case yet; will retry"
        )
    if case.archived_at is not None:
        raise _ArchivedCase(control_number)
    return case


class _ArchivedCase(Exception):
    """A late event for a purged case: applying it would bring personal data back."""


def apply_supplement(
    session: AsyncSession, case: Case, event: SubmissionSupplementedV1 | SubmissionSupplementedV2
) -> None:
    """Keep the added text and files beside the original submission."""
    session.add(
        Supplement(
            case_id=case.id,
            supplement_id=event.supplement_id,
            text=event.text,
            attachments=list(event.attachments),
            supplemented_at=event.supplemented_at,
        )
    )
    case.updated_at = utcnow()
    files = len(event.attachments)
    timeline.record(
        session,
        case,
        "supplemented",
        f"the submitter added {'text' if event.text else 'no text'} and {files} file(s)",
        SUBMITTER,
        {"supplement_id": event.supplement_id, "attachments": list(event.attachments)},
    )
    timeline.announce(
        session,
        case,
        CASE_SUPPLEMENTED_V1,
        CaseSupplementedV1(
            control_number=case.control_number,
            supplement_id=event.supplement_id,
            attachment_count=files,
            supplemented_at=event.supplemented_at,
        ),
    )


def _current_value(case: Case, field: str, fallback: Any) -> Any:
    section, _, key = field.partition(".")
    asked = (case.details or {}).get(section)
    if isinstance(asked, dict) and key in asked:
        return asked[key]
    column = COLUMN_FIELDS.get(field)
    if column is not None:
        value = getattr(case, column)
        return value.isoformat() if isinstance(value, date) else value
    return fallback


def apply_correction(
    session: AsyncSession,
    case: Case,
    event: SubmissionCorrectedV1,
    cipher: CaseCipher | None = None,
    actor: str = SUBMITTER,
    summary: str | None = None,
) -> None:
    """Update the case's current value; the amendment keeps the value it replaced.

    An identity number or date of birth is sealed with `cipher` (the case's data key), in
    the case and in both sides of the amendment.
    """
    previous = _current_value(case, event.field, event.previous_value)
    new_value = event.new_value
    if cipher is not None and is_sensitive(event.field):
        previous = seal_value(cipher, event.field, previous)
        new_value = seal_value(cipher, event.field, new_value)
    elif is_sensitive(event.field):
        raise ValueError(f"{event.field} is sealed: the case's data key is required")
    section, _, key = event.field.partition(".")
    details = dict(case.details or {})
    if key:
        # A new dict, not an in-place edit: the JSON column only notices reassignment.
        details[section] = {**(details.get(section) or {}), key: new_value}
        case.details = details
    column = COLUMN_FIELDS.get(event.field)
    if column is not None:
        value = event.new_value
        if column == "incident_date" and isinstance(value, str):
            value = date.fromisoformat(value)
        setattr(case, column, value)
    case.updated_at = utcnow()
    session.add(
        Amendment(
            case_id=case.id,
            amendment_id=event.amendment_id,
            field=event.field,
            previous_value=previous,
            new_value=new_value,
            reason=event.reason,
            corrected_at=event.corrected_at,
        )
    )
    timeline.record(
        session,
        case,
        "amended",
        summary or f"the submitter corrected {event.field}",
        actor,
        {"amendment_id": event.amendment_id, "field": event.field},
    )
    timeline.announce(
        session,
        case,
        CASE_AMENDED_V1,
        CaseAmendedV1(
            control_number=case.control_number,
            amendment_id=event.amendment_id,
            field=event.field,
            amended_at=event.corrected_at,
        ),
    )


def apply_withdrawal(session: AsyncSession, case: Case, event: SubmissionWithdrawnV1) -> None:
    """Withdraw the case (it stays on record); once closed, only note that they asked."""
    if can_move(case.status, "withdrawn"):
        closure.withdraw_loaded(session, case, event.reason, SUBMITTER)
        return
    timeline.record(
        session,
        case,
        "withdrawal_not_applied",
        f"the submitter asked to withdraw a case already {case.status}",
        SUBMITTER,
        {"reason": event.reason, "status": case.status},
    )


class SelfServiceHandler:
    """The consumer's handler for the three self-service event types."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        signals: SignalSender | None,
        keyring: FieldKeyring | None = None,
        blind_key: bytes | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._signals = signals
        self._keyring = keyring or default_keyring()
        self._blind_key = blind_key or default_blind_key()

    async def __call__(self, event: CloudEvent) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            if not await claim_event(uow.session, InboxRecord, event):
                return
            try:
                await self._apply(uow.session, event)
            except _ArchivedCase:
                log.warning("%s for archived case %s dropped", event.type, event.subject)
            await uow.commit()
        if self._signals is not None:
            self._signals.notify()

    async def _apply(self, session: AsyncSession, event: CloudEvent) -> None:
        if event.type == SUBMISSION_SUPPLEMENTED_V1:
            supplement = SubmissionSupplementedV1.model_validate(event.data)
            case = await _case_for(session, supplement.control_number)
            apply_supplement(session, case, supplement)
        elif event.type == SUBMISSION_SUPPLEMENTED_V2:
            reply = SubmissionSupplementedV2.model_validate(event.data)
            case = await _case_for(session, reply.control_number)
            apply_supplement(session, case, reply)
            if reply.reply_to_request is not None:
                await inforeq.answer(session, case, reply.reply_to_request, reply.supplement_id)
        elif event.type == SUBMISSION_CORRECTED_V1:
            correction = SubmissionCorrectedV1.model_validate(event.data)
            case = await _case_for(session, correction.control_number)
            cipher = None
            if is_sensitive(correction.field):
                cipher = await cipher_for(session, self._keyring, case.control_number, create=True)
            apply_correction(session, case, correction, cipher)
            await index_correction(
                session, self._blind_key, case, correction.field, correction.new_value
            )
        elif event.type == SUBMISSION_WITHDRAWN_V1:
            withdrawal = SubmissionWithdrawnV1.model_validate(event.data)
            case = await _case_for(session, withdrawal.control_number)
            apply_withdrawal(session, case, withdrawal)


HANDLED_TYPES = (
    SUBMISSION_SUPPLEMENTED_V1,
    SUBMISSION_SUPPLEMENTED_V2,
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_WITHDRAWN_V1,
)
