"""Intake decisions: accept a submission once, answer status questions, follow the case."""

import hashlib
import hmac
import json
from datetime import date

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake import repository
from ombuds_intake.accounts.cases import link_new_submission
from ombuds_intake.attachments.service import AttachmentLimits, claim_for_submission
from ombuds_intake.forms.paths import WEB_CHANNEL, ValidatedSubmission
from ombuds_intake.models import InboxRecord, OutboxRecord, Submission
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    SUBMISSION_RECEIVED_V2,
    SUBMISSIONS_TOPIC,
    CaseOpenedV1,
    CaseStatusChangedV1,
    CloudEvent,
    SubmissionReceivedV2,
    make_event,
)
from ombuds_shared.http import ConflictError, NotFoundError
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import insert_into_outbox

EVENT_SOURCE = "ombuds/intake"
SUBMISSIONS: Table = Submission.__table__  # type: ignore[assignment]
# The statuses that end a case; the reason given for moving into one is its resolution.
CLOSING_STATUSES = frozenset({"closed", "resolved", "withdrawn", "redirected"})


class IdempotencyKeyReusedError(ConflictError):
    code = "idempotency_key_reused"


class SubmissionNotFoundError(NotFoundError):
    """One answer for an unknown number and a wrong email, so neither is revealed."""

    def __init__(self) -> None:
        super().__init__("No submission matches this control number and email address.")


def fingerprint(submission: ValidatedSubmission) -> str:
    canonical = json.dumps(submission.as_json(), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _new_submission(
    validated: ValidatedSubmission, idempotency_key: str | None, client_ip: str | None
) -> Submission:
    now = utcnow()
    incident = validated.incident
    return Submission(
        control_number=new_control_number(),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(validated),
        form_version=validated.form_version,
        kind=validated.kind,
        category=validated.category,
        topic=validated.topic,
        channel=validated.channel,
        anonymous=validated.anonymous,
        contact_email=validated.contact_email,
        narrative=incident["narrative"],
        incident_date=date.fromisoformat(incident["incident_date"])
        if incident.get("incident_date")
        else None,
        port_of_entry=incident.get("port_of_entry"),
        language=validated.language,
        original=validated.as_json(),
        client_ip=client_ip,
        # Staff channels: no online statement was shown (PIA 4.3); staff confirmed the details.
        privacy_act_acknowledged_at=now if validated.channel == WEB_CHANNEL else None,
        accuracy_certified_at=now if validated.channel == WEB_CHANNEL else None,
        received_at=now,
        status="received",
        status_updated_at=now,
    )


async def _insert(session: AsyncSession, submission: Submission) -> None:
    """One Core INSERT of the new row: the ORM's flush bookkeeping was over half of intake's
    CPU per submission (`python -m bench.intake`). The instance stays transient, for the reply."""
    values = {
        column.key: getattr(submission, column.key)
        for column in SUBMISSIONS.columns
        if not column.primary_key
    }
    # Values as parameters, not in the statement: it compiles once and stays cached.
    await session.execute(insert(SUBMISSIONS), values)


def _received_event(submission: Submission, validated: ValidatedSubmission) -> CloudEvent:
    sections = validated.sections
    body = SubmissionReceivedV2(
        control_number=submission.control_number,
        form_version=validated.form_version,
        kind=validated.kind,
        category=validated.category,
        topic=validated.topic,
        channel=submission.channel,
        anonymous=validated.anonymous,
        language=validated.language,
        contact=sections.get("contact"),
        incident=sections["incident"],
        trade=sections.get("trade"),
        identity=sections.get("identity"),
        attachments=validated.attachments,
        channel_details=validated.channel_details,
        received_at=submission.received_at,
    )
    return make_event(EVENT_SOURCE, SUBMISSION_RECEIVED_V2, body, submission.control_number)


async def _replay(
    session: AsyncSession, idempotency_key: str, validated: ValidatedSubmission
) -> Submission | None:
    existing = await repository.by_idempotency_key(session, idempotency_key)
    if existing is not None and existing.request_fingerprint != fingerprint(validated):
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was already used for a different submission."
        )
    return existing


async def accept_submission(
    session_factory: async_sessionmaker[AsyncSession],
    validated: ValidatedSubmission,
    idempotency_key: str | None,
    client_ip: str | None,
    attachment_limits: AttachmentLimits,
    account_id: str | None = None,
) -> tuple[Submission, bool]:
    """Store the submission, claim its uploaded files, link it to the signed-in account (if
    any) and stage its `submission.received` event, all in one transaction.

    Returns the submission and whether it is new (False when the Idempotency-Key repeats).
    """
    for _attempt in range(3):
        async with UnitOfWork(session_factory) as uow:
            if idempotency_key is not None:
                existing = await _replay(uow.session, idempotency_key, validated)
                if existing is not None:
                    return existing, False
            submission = _new_submission(validated, idempotency_key, client_ip)
            try:
                await _insert(uow.session, submission)
                if validated.all_attachments:
                    await claim_for_submission(
                        uow.session,
                        validated.all_attachments,
                        submission.control_number,
                        attachment_limits,
                    )
                if account_id is not None:
                    link_new_submission(uow.session, account_id, submission.control_number)
                await insert_into_outbox(
                    uow.session,
                    OutboxRecord,
                    SUBMISSIONS_TOPIC,
                    _received_event(submission, validated),
                )
                await uow.commit()
            except IntegrityError:
                # A concurrent request with the same key won, or (rarely) the control number
                # was taken: look again.
                continue
            return submission, True
    raise ConflictError("The submission could not be stored; please retry.")


async def submission_status(session: AsyncSession, control_number: str, email: str) -> Submission:
    """The submission, only if `email` is the one it was submitted with."""
    submission = await repository.by_control_number(session, control_number)
    if submission is None or submission.contact_email is None:
        raise SubmissionNotFoundError()
    if not hmac.compare_digest(submission.contact_email, email.strip().lower()):
        raise SubmissionNotFoundError()
    return submission


async def apply_case_event(
    session_factory: async_sessionmaker[AsyncSession], event: CloudEvent
) -> None:
    """Follow the case's status (and, once it closes, why) so the submitter can ask intake."""
    reason: str | None = None
    if event.type.startswith("ombuds.case.opened."):
        opened = CaseOpenedV1.model_validate(event.data)
        status, changed_at = opened.status, opened.opened_at
    else:
        changed = CaseStatusChangedV1.model_validate(event.data)
        status, changed_at, reason = changed.to_status, changed.changed_at, changed.reason
    async with UnitOfWork(session_factory) as uow:
        if not await claim_event(uow.session, InboxRecord, event):
            return
        submission = await repository.by_control_number(uow.session, event.subject)
        if submission is not None and changed_at >= submission.status_updated_at:
            submission.status = status
            submission.status_updated_at = changed_at
            # A reopened case has no resolution until it closes again.
            submission.resolution = reason if status in CLOSING_STATUSES else None
        await uow.commit()
