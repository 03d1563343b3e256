"""Redirect a case the agency cannot act on (PIA 2.1, 3.3): travel redress matters go to DHS
TRIP, matters of an agency outside DHS to that agency. The case moves to `redirected`, then
`closed` in the same transaction, and `case.redirected` tells the notifications service what
to write to the submitter."""

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case import timeline
from ombuds_cases.case.actions import direct_step, load, set_disposition_on
from ombuds_cases.case.signals import queue_signal
from ombuds_cases.disclosures.service import keep_accounting_for_life_of_record
from ombuds_cases.models import Case
from ombuds_cases.redirect.schemas import RedirectRequest
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL, CloseCase
from ombuds_shared.events import (
    CASE_CLOSED_V1,
    CASE_REDIRECTED_V1,
    CaseClosedV1,
    CaseRedirectedV1,
)

DISPOSITION_BY_TARGET = {
    "dhs_trip": "redirected_to_dhs_trip",
    "outside_agency": "no_jurisdiction",
}


def _where(request: RedirectRequest) -> str:
    return "DHS TRIP" if request.to == "dhs_trip" else str(request.agency_name)


async def redirect(
    session: AsyncSession, control_number: str, request: RedirectRequest, actor: str
) -> Case:
    case = await load(session, control_number)
    why = f"redirected to {_where(request)}: {request.reason}"
    timeline.move(session, case, "redirected", why, direct_step(), actor)
    set_disposition_on(session, case, DISPOSITION_BY_TARGET[request.to], actor)
    timeline.move(session, case, "closed", why, direct_step(), actor)
    case.closed_at = case.updated_at
    await keep_accounting_for_life_of_record(session, case)
    name = " ".join(p for p in (case.contact_first_name, case.contact_last_name) if p)
    timeline.announce(
        session,
        case,
        CASE_REDIRECTED_V1,
        CaseRedirectedV1(
            control_number=case.control_number,
            to=request.to,
            agency_name=request.agency_name,
            reason=request.reason,
            disposition=DISPOSITION_BY_TARGET[request.to],
            anonymous=case.anonymous,
            recipient_email=None if case.anonymous else case.contact_email,
            recipient_name=None if case.anonymous else (name or None),
            language=case.language,
            redirected_at=case.updated_at,
        ),
    )
    timeline.announce(
        session,
        case,
        CASE_CLOSED_V1,
        CaseClosedV1(
            control_number=case.control_number,
            disposition=DISPOSITION_BY_TARGET[request.to],
            reason=why,
            closed_at=case.updated_at,
        ),
    )
    queue_signal(
        session,
        case.control_number,
        CLOSE_CASE_SIGNAL,
        CloseCase(reason=why, already_recorded=True),
    )
    return case
