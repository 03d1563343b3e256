"""Staff actions that move a case between statuses: change status, close, reopen, withdraw.

Close, reopen and withdraw also stage a CaseLifecycle signal in the same transaction (the
signal outbox); the workflow follows without recording the change again.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case import schemas, timeline
from ombuds_cases.case.actions import direct_step, load, set_disposition_on
from ombuds_cases.case.signals import queue_signal
from ombuds_cases.case.status import IllegalTransitionError, check_transition
from ombuds_cases.disclosures.service import keep_accounting_for_life_of_record
from ombuds_cases.inforeq.config import information_request_settings
from ombuds_cases.inforeq.service import AWAITING, ask_loaded
from ombuds_cases.models import Case
from ombuds_shared.contracts import (
    CLOSE_CASE_SIGNAL,
    REOPEN_CASE_SIGNAL,
    STATUS_CHANGED_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    CloseCase,
    ReopenCase,
    StatusChanged,
    WithdrawCase,
)
from ombuds_shared.events import (
    CASE_CLOSED_V1,
    CASE_REOPENED_V1,
    CASE_WITHDRAWN_V1,
    CaseClosedV1,
    CaseReopenedV1,
    CaseWithdrawnV1,
)
from ombuds_shared.http import ServiceError


class DispositionRequiredError(ServiceError):
    status_code = 422
    code = "disposition_required"


async def change_status(
    session: AsyncSession, control_number: str, request: schemas.ChangeStatus, actor: str
) -> Case:
    """Move the case between working statuses (triage, assigned, referred, ...); the workflow
    is told, for its service-level clocks.

    Awaiting information means a question was put to the submitter: the reason is the
    question, asked as a request for information with the default deadline.
    """
    case = await load(session, control_number)
    if request.status == AWAITING:
        due_days = information_request_settings().due_days
        ask_loaded(session, case, request.reason, due_days, actor)
        return case
    timeline.move(session, case, request.status, request.reason, direct_step(), actor)
    queue_signal(
        session,
        case.control_number,
        STATUS_CHANGED_SIGNAL,
        StatusChanged(to_status=request.status, reason=request.reason),
    )
    return case


async def close(
    session: AsyncSession, control_number: str, request: schemas.CloseCaseRequest, actor: str
) -> Case:
    """Close with a disposition; the workflow is told after commit (it records nothing)."""
    case = await load(session, control_number)
    check_transition(case.status, "closed")
    if request.disposition is not None:
        set_disposition_on(session, case, request.disposition, actor)
    if case.disposition is None:
        raise DispositionRequiredError(
            "disposition: a case is closed with a disposition; give one or set it first."
        )
    timeline.move(session, case, "closed", request.reason, direct_step(), actor)
    case.closed_at = case.updated_at
    await keep_accounting_for_life_of_record(session, case)
    timeline.announce(
        session,
        case,
        CASE_CLOSED_V1,
        CaseClosedV1(
            control_number=case.control_number,
            disposition=case.disposition,
            reason=request.reason,
            closed_at=case.updated_at,
        ),
    )
    queue_signal(
        session,
        case.control_number,
        CLOSE_CASE_SIGNAL,
        CloseCase(reason=request.reason, already_recorded=True),
    )
    return case


async def reopen(
    session: AsyncSession, control_number: str, request: schemas.ReopenCaseRequest, actor: str
) -> Case:
    """A closed case goes back to triage; its last disposition stays in the timeline."""
    case = await load(session, control_number)
    if case.status != "closed":
        raise IllegalTransitionError(
            f"Only a closed case can be reopened; a case in status {case.status} cannot."
        )
    timeline.move(session, case, "triage", request.reason, direct_step(), actor)
    case.disposition, case.closed_at = None, None
    timeline.announce(
        session,
        case,
        CASE_REOPENED_V1,
        CaseReopenedV1(
            control_number=case.control_number, reason=request.reason, reopened_at=case.updated_at
        ),
    )
    queue_signal(
        session,
        case.control_number,
        REOPEN_CASE_SIGNAL,
        ReopenCase(reason=request.reason, already_recorded=True),
    )
    return case


def withdraw_loaded(session: AsyncSession, case: Case, reason: str | None, actor: str) -> None:
    """Withdraw a loaded case (409 once closed); it stays on record like any other."""
    check_transition(case.status, "withdrawn")
    set_disposition_on(session, case, "withdrawn_by_submitter", actor)
    timeline.move(
        session, case, "withdrawn", reason or "withdrawn by the submitter", direct_step(), actor
    )
    case.closed_at = case.updated_at
    timeline.announce(
        session,
        case,
        CASE_WITHDRAWN_V1,
        CaseWithdrawnV1(
            control_number=case.control_number,
            withdrawn_by=actor,
            reason=reason,
            withdrawn_at=case.updated_at,
        ),
    )
    queue_signal(
        session,
        case.control_number,
        WITHDRAW_CASE_SIGNAL,
        WithdrawCase(reason=reason or "withdrawn by the submitter", already_recorded=True),
    )


async def withdraw(
    session: AsyncSession, control_number: str, request: schemas.WithdrawCaseRequest, actor: str
) -> Case:
    case = await load(session, control_number)
    withdraw_loaded(session, case, request.reason, actor)
    return case
