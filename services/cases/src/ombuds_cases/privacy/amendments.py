"""Amendment requests (5 U.S.C. 552a(d)(2)): recorded, then accepted or denied with a reason.

An accepted request is applied the way a self-service correction is: the case shows the new
value and an appended amendment keeps the value it replaced. Every earlier recipient in the
accounting of disclosures is named in `case.record-amended` and accounted as told of the
correction (552a(c)(4)). A denial tells the person of their right to file a statement of
disagreement and to ask for a review (552a(d)(2)(B)(ii), (d)(3)).
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.case.selfservice import apply_correction
from ombuds_cases.crypto.identity import MASK, is_sensitive, seal_value
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.crypto.keys import cipher_for
from ombuds_cases.disclosures import service as disclosures
from ombuds_cases.disclosures.models import SOURCE_CORRECTION, SOURCE_RELEASE, Disclosure
from ombuds_cases.models import Case
from ombuds_cases.privacy.indexer import index_correction
from ombuds_cases.privacy.models import AmendmentRequest
from ombuds_cases.privacy.schemas import (
    AmendmentDecision,
    AmendmentRequestView,
    NewAmendmentRequest,
)
from ombuds_cases.privacy.service import canonical
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.business_days import add_business_days
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_RECORD_AMENDED_V1,
    CaseRecordAmendedV1,
    CorrectionRecipientV1,
    SubmissionCorrectedV1,
)
from ombuds_shared.http import ConflictError, NotFoundError

ACKNOWLEDGE_BUSINESS_DAYS = 10
STATEMENT_OF_DISAGREEMENT = (
    "You may ask for a review of this refusal and file a concise statement of your reasons "
    "for disagreeing with it (5 U.S.C. 552a(d)(2)(B)(ii) and (d)(3)). The statement will be "
    "kept with the record, noted in every later disclosure of it, and sent to everyone the "
    "record was disclosed to before."
)


class AmendmentRequestNotFoundError(NotFoundError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"No amendment request has id {request_id}.")


class AlreadyDecidedError(ConflictError):
    pass


def acknowledge_by(received_on: date) -> date:
    return add_business_days(received_on, ACKNOWLEDGE_BUSINESS_DAYS)


async def _case(session: AsyncSession, control_number: str, for_update: bool = False) -> Case:
    case = await repository.by_control_number(session, control_number, for_update=for_update)
    if case is None:
        raise CaseNotFoundError(control_number)
    return case


async def create(
    session: AsyncSession, keyring: FieldKeyring, body: NewAmendmentRequest, actor: str
) -> AmendmentRequest:
    """Record what the person asks to correct; an identity value is sealed at once."""
    number = canonical("control_number", body.control_number)
    await _case(session, number)
    value: object = body.requested_value
    if is_sensitive(body.field):
        cipher = await cipher_for(session, keyring, number, create=True)
        assert cipher is not None  # create=True always gives one
        value = seal_value(cipher, body.field, value)
    row = AmendmentRequest(
        control_number=number,
        requester_name=body.requester_name,
        field=body.field,
        requested_value=value,
        justification=body.justification,
        received_on=body.received_on,
        acknowledge_by=acknowledge_by(body.received_on),
        status="pending",
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, request_id: int) -> AmendmentRequest:
    row = await session.get(AmendmentRequest, request_id)
    if row is None:
        raise AmendmentRequestNotFoundError(request_id)
    return row


async def listed(session: AsyncSession, status: str | None = None) -> list[AmendmentRequest]:
    query = select(AmendmentRequest).order_by(AmendmentRequest.acknowledge_by, AmendmentRequest.id)
    if status is not None:
        query = query.where(AmendmentRequest.status == status)
    return list((await session.scalars(query)).all())


async def earlier_recipients(session: AsyncSession, control_number: str) -> list[Disclosure]:
    """Each recipient the record went to (once), not counting the person and earlier notices."""
    seen: set[tuple[str, str]] = set()
    found: list[Disclosure] = []
    for row in await disclosures.for_case(session, control_number):
        who = (row.recipient_name, row.recipient_address)
        if row.source in (SOURCE_RELEASE, SOURCE_CORRECTION) or who in seen:
            continue
        seen.add(who)
        found.append(row)
    return found


async def decide(
    session: AsyncSession,
    keyring: FieldKeyring,
    key: bytes,
    row: AmendmentRequest,
    decision: AmendmentDecision,
    actor: str,
) -> list[str]:
    """Accept (apply, announce, account for the notices) or deny; returns who is told."""
    if row.status != "pending":
        raise AlreadyDecidedError(f"Amendment request {row.id} was already {row.status}.")
    case = await _case(session, row.control_number, for_update=True)
    now = utcnow()
    row.decision_reason, row.decided_by, row.decided_at = decision.reason, actor, now
    if decision.decision == "deny":
        row.status = "denied"
        timeline.record(
            session,
            case,
            "amendment_denied",
            f"amendment request {row.id} to correct {row.field} denied: {decision.reason}",
            actor,
            {"amendment_request_id": row.id, "field": row.field},
        )
        return []
    cipher = await cipher_for(session, keyring, case.control_number, create=is_sensitive(row.field))
    amendment_id = f"privacy-{row.id}"
    clear = row.requested_value
    if is_sensitive(row.field) and cipher is not None:
        clear = cipher.unseal(row.field, row.requested_value)
    correction = SubmissionCorrectedV1(
        control_number=case.control_number,
        amendment_id=amendment_id,
        field=row.field,
        previous_value=None,
        new_value=clear,
        reason=f"amendment request {row.id}: {row.justification}",
        corrected_at=now,
    )
    apply_correction(
        session,
        case,
        correction,
        cipher if is_sensitive(row.field) else None,
        actor=actor,
        summary=f"amendment request {row.id} accepted: {row.field} corrected",
    )
    await index_correction(session, key, case, row.field, clear)
    recipients = await earlier_recipients(session, case.control_number)
    for index, earlier in enumerate(recipients):
        await disclosures.record_privacy_share(
            session,
            case,
            source=SOURCE_CORRECTION,
            source_key=f"{SOURCE_CORRECTION}:{amendment_id}:{index}",
            nature=f"notice of the correction of {row.field}",
            purpose="5 U.S.C. 552a(c)(4): an earlier recipient is told of a correction",
            recipient_name=earlier.recipient_name,
            recipient_address=earlier.recipient_address,
            method="notice of correction",
            actor=actor,
        )
    timeline.announce(
        session,
        case,
        CASE_RECORD_AMENDED_V1,
        CaseRecordAmendedV1(
            control_number=case.control_number,
            amendment_request_id=row.id,
            amendment_id=amendment_id,
            field=row.field,
            amended_at=now,
            recipients=[
                CorrectionRecipientV1(
                    name=r.recipient_name, address=r.recipient_address, disclosed_at=r.disclosed_at
                )
                for r in recipients
            ],
        ),
    )
    row.status, row.amendment_id = "accepted", amendment_id
    return [r.recipient_name for r in recipients]


async def notified(session: AsyncSession, row: AmendmentRequest) -> list[str]:
    if row.amendment_id is None:
        return []
    found = await session.scalars(
        select(Disclosure.recipient_name)
        .where(Disclosure.source_key.startswith(f"{SOURCE_CORRECTION}:{row.amendment_id}:"))
        .order_by(Disclosure.id)
    )
    return list(found.all())


async def view(session: AsyncSession, row: AmendmentRequest) -> AmendmentRequestView:
    value = row.requested_value
    return AmendmentRequestView(
        id=row.id,
        control_number=row.control_number,
        requester_name=row.requester_name,
        field=row.field,
        requested_value=MASK if is_sensitive(row.field) and value else value,
        justification=row.justification,
        received_on=row.received_on,
        acknowledge_by=row.acknowledge_by,
        status=row.status,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        amendment_id=row.amendment_id,
        statement_of_disagreement=STATEMENT_OF_DISAGREEMENT if row.status == "denied" else None,
        notified=await notified(session, row),
    )
