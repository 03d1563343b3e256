"""The staff API's full view of one case, from its row and everything that hangs off it."""

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import queries
from ombuds_cases.case.schemas import (
    AmendmentView,
    LinkView,
    NoteView,
    SourcePointerView,
    SupplementView,
)
from ombuds_cases.crypto.config import default_keyring
from ombuds_cases.crypto.identity import masked_details, masked_value
from ombuds_cases.crypto.keyring import FieldDecryptError, FieldKeyring
from ombuds_cases.crypto.keys import CaseCipher, cipher_for
from ombuds_cases.inforeq.service import requests_of
from ombuds_cases.models import Case
from ombuds_cases.referrals.schemas import CaseReferralView
from ombuds_cases.referrals.service import for_case as referrals_of
from ombuds_cases.schemas import CaseDetail, ContactView, StatusChangeView
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.contracts import case_workflow_id


async def case_cipher(
    session: AsyncSession, keyring: FieldKeyring | None, control_number: str
) -> CaseCipher | None:
    """The case's data key, or None when it has none or it cannot be unwrapped."""
    try:
        return await cipher_for(session, keyring or default_keyring(), control_number)
    except FieldDecryptError:
        return None


async def case_detail(
    session: AsyncSession, control_number: str, keyring: FieldKeyring | None = None
) -> CaseDetail:
    """One case with its history, notes, links, pointers, supplements and amendments.

    Identity numbers and the date of birth are masked (`POST .../reveal` shows them).
    """
    case = await repository.by_control_number(session, control_number, with_history=True)
    if case is None:
        raise CaseNotFoundError(control_number)
    records = await queries.records_of(session, case.id)
    cipher = await case_cipher(session, keyring, control_number)
    return CaseDetail(
        control_number=case.control_number,
        kind=case.kind,
        category=case.category,
        channel=case.channel,
        status=case.status,
        anonymous=case.anonymous,
        received_at=case.received_at,
        updated_at=case.updated_at,
        office=case.office,
        assignee=case.assignee,
        priority=case.priority,
        due_at=case.due_at,
        form_version=case.form_version,
        topic=case.topic,
        narrative=case.narrative,
        incident_date=case.incident_date,
        port_of_entry=case.port_of_entry,
        language=case.language,
        contact=_contact(case),
        details=masked_details(cipher, case.details or {}),
        workflow_id=case_workflow_id(case.control_number),
        status_history=[StatusChangeView.model_validate(change) for change in case.history],
        tags=list(case.tags or []),
        findings=case.findings,
        recommendations=case.recommendations,
        disposition=case.disposition,
        closed_at=case.closed_at,
        archived_at=case.archived_at,
        notes=[NoteView.model_validate(note) for note in records.notes],
        links=[LinkView.model_validate(link) for link in records.links],
        source_pointers=[SourcePointerView.model_validate(p) for p in records.source_pointers],
        supplements=[SupplementView.model_validate(s) for s in records.supplements],
        amendments=[
            AmendmentView.model_validate(a).model_copy(
                update={
                    "previous_value": masked_value(cipher, a.field, a.previous_value),
                    "new_value": masked_value(cipher, a.field, a.new_value),
                }
            )
            for a in records.amendments
        ],
        information_requests=await requests_of(session, case.id),
        referrals=[
            CaseReferralView.model_validate(r)
            for r in await referrals_of(session, case.control_number)
        ],
    )


def _contact(case: Case) -> ContactView | None:
    if case.anonymous:
        return None
    return ContactView(
        first_name=case.contact_first_name,
        last_name=case.contact_last_name,
        email=case.contact_email,
    )
