"""Asking the submitter for information, and taking their answer back onto the case.

Asking is one transaction: the request row, the move to `awaiting_information`, the timeline,
`case.information-requested` (which the notifications service turns into the email with the
reply link) and the workflow's `request_information` signal. The answer arrives from intake as
a `submission.supplemented.v2` naming the request; it is applied in the consumer's transaction.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case import timeline
from ombuds_cases.case.actions import direct_step, load
from ombuds_cases.case.records import Supplement
from ombuds_cases.case.schemas import SupplementView
from ombuds_cases.case.signals import queue_signal
from ombuds_cases.case.status import can_move, check_transition
from ombuds_cases.inforeq.config import information_request_settings
from ombuds_cases.inforeq.models import InformationRequest
from ombuds_cases.inforeq.schemas import InformationRequestView, RequestInformationBody
from ombuds_cases.models import Case
from ombuds_shared.business_days import business_deadline
from ombuds_shared.contracts import (
    INFORMATION_RECEIVED_SIGNAL,
    REQUEST_INFORMATION_SIGNAL,
    InformationReceived,
    RequestInformation,
)
from ombuds_shared.db import utcnow
from ombuds_shared.events import CASE_INFORMATION_REQUESTED_V1, CaseInformationRequestedV1

AWAITING = "awaiting_information"
SUBMITTER = "submitter"


def reply_path(control_number: str, request_id: str) -> str:
    """The portal page that answers a request (behind the self-service code, as `/manage`)."""
    return f"/manage/{control_number}/reply/{request_id}"


def ask_loaded(
    session: AsyncSession, case: Case, question: str, due_in_business_days: int, actor: str
) -> InformationRequest:
    """Put a question to the submitter of a loaded case (409 unless it may await information)."""
    check_transition(case.status, AWAITING)
    now = utcnow()
    request = InformationRequest(
        request_id=uuid.uuid4().hex,
        case_id=case.id,
        question=question,
        due_at=business_deadline(now, due_in_business_days),
        asked_by=actor,
        asked_at=now,
        previous_status=case.status,
    )
    session.add(request)
    timeline.move(
        session, case, AWAITING, "information requested from the submitter", direct_step(), actor
    )
    timeline.record(
        session,
        case,
        "information_requested",
        f"asked the submitter, due {request.due_at.date().isoformat()}: {question}",
        actor,
        {
            "request_id": request.request_id,
            "question": question,
            "due_at": request.due_at.isoformat(),
        },
    )
    timeline.announce(
        session,
        case,
        CASE_INFORMATION_REQUESTED_V1,
        CaseInformationRequestedV1(
            control_number=case.control_number,
            request_id=request.request_id,
            question=question,
            due_at=request.due_at,
            reply_path=reply_path(case.control_number, request.request_id),
            requested_at=now,
        ),
    )
    queue_signal(
        session,
        case.control_number,
        REQUEST_INFORMATION_SIGNAL,
        RequestInformation(request_id=request.request_id, due_at=request.due_at, question=question),
    )
    return request


async def request_information(
    session: AsyncSession,
    control_number: str,
    body: RequestInformationBody,
    actor: str,
) -> Case:
    """The staff action: ask, with the body's deadline or the service's default."""
    case = await load(session, control_number)
    due_days = body.due_in_business_days or information_request_settings().due_days
    ask_loaded(session, case, body.question, due_days, actor)
    return case


async def answer(
    session: AsyncSession, case: Case, request_id: str, supplement_id: str
) -> InformationRequest | None:
    """Mark the request answered by a supplement and send the case back where it was.

    An unknown or already answered request changes nothing (the supplement still stands);
    a case staff have since moved on (closed, say) keeps its status.
    """
    request = await session.scalar(
        select(InformationRequest).where(
            InformationRequest.case_id == case.id,
            InformationRequest.request_id == request_id,
            InformationRequest.answered_at.is_(None),
        )
    )
    if request is None:
        return None
    request.answered_at = utcnow()
    request.answer_supplement_id = supplement_id
    timeline.record(
        session,
        case,
        "information_received",
        "the submitter answered the request for information",
        SUBMITTER,
        {"request_id": request_id, "supplement_id": supplement_id},
    )
    if case.status == AWAITING and can_move(AWAITING, request.previous_status):
        timeline.move(
            session,
            case,
            request.previous_status,
            "the submitter answered the request for information",
            direct_step(),
            SUBMITTER,
        )
    queue_signal(
        session,
        case.control_number,
        INFORMATION_RECEIVED_SIGNAL,
        InformationReceived(request_id=request_id),
    )
    return request


async def requests_of(session: AsyncSession, case_id: int) -> list[InformationRequestView]:
    """The case's requests, oldest first, each with its answer once there is one."""
    rows = (
        await session.scalars(
            select(InformationRequest)
            .where(InformationRequest.case_id == case_id)
            .order_by(InformationRequest.id)
        )
    ).all()
    answer_ids = [row.answer_supplement_id for row in rows if row.answer_supplement_id]
    answers: dict[str, Supplement] = {}
    if answer_ids:
        found = await session.scalars(
            select(Supplement).where(Supplement.supplement_id.in_(answer_ids))
        )
        answers = {s.supplement_id: s for s in found}
    views = []
    for row in rows:
        view = InformationRequestView.model_validate(row)
        supplement = answers.get(row.answer_supplement_id or "")
        if supplement is not None:
            view = view.model_copy(update={"answer": SupplementView.model_validate(supplement)})
        views.append(view)
    return views
