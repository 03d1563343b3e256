"""Staff actions on one case: `/api/v1/cases/{control_number}/...` (JSON in, the case out).

Each endpoint requires its own permission (`staff/policy.py`); a case outside the actor's
office answers 404 like a missing one (`ombuds_cases.router.out_of_scope`). Every change is
audited with the fields it was given, in the change's own transaction.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import Action as AuditAction
from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.case import actions, closure, queries, schemas
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.case.views import case_detail
from ombuds_cases.crypto.dependencies import field_keyring
from ombuds_cases.inforeq import service as inforeq
from ombuds_cases.inforeq.schemas import RequestInformationBody
from ombuds_cases.router import ControlNumberPath, canonical_control_number, out_of_scope
from ombuds_cases.schemas import CaseDetail
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor, can
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["case actions"])

Body = TypeVar("Body", bound=BaseModel)
Action = Callable[[AsyncSession, str, Body, str], Awaitable[object]]


Reader = Annotated[StaffActor, Depends(permitted("case.read"))]
Noter = Annotated[StaffActor, Depends(permitted("case.note"))]
Triager = Annotated[StaffActor, Depends(permitted("case.triage"))]
Updater = Annotated[StaffActor, Depends(permitted("case.update"))]
Assigner = Annotated[StaffActor, Depends(permitted("case.assign"))]
Closer = Annotated[StaffActor, Depends(permitted("case.close"))]
Reopener = Annotated[StaffActor, Depends(permitted("case.reopen"))]


class _OutOfScope(Exception):
    """Raised inside the unit of work so that the refusal is audited after its rollback."""


async def _check_link_target(
    session: AsyncSession, actor: StaffActor, permission: str, control_number: str
) -> None:
    """A case outside the actor's office is as unknown to them as a missing one."""
    target = await repository.by_control_number(session, control_number)
    if target is not None and not can(actor, permission, target.office):
        raise actions.UnknownLinkedCaseError(
            f"control_number: no case has control number {control_number}."
        )


async def _apply(
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    actor: StaffActor,
    permission: str,
    control_number: str,
    action: Action[Body],
    body: Body,
) -> CaseDetail:
    """Check the case's office, run one action and its audit record in one transaction, then
    show the case as it now is."""
    canonical = canonical_control_number(control_number)
    segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    # A 201 action adds a record to the case (a note, a link, a pointer); the rest change it.
    created = getattr(request.scope.get("route"), "status_code", None) == status.HTTP_201_CREATED
    audit_action: AuditAction = "create" if created else "update"
    try:
        async with UnitOfWork(session_factory) as uow:
            case = await actions.load(uow.session, canonical)
            if not can(actor, permission, case.office):
                raise _OutOfScope
            if isinstance(body, schemas.LinkCase):
                await _check_link_target(uow.session, actor, permission, body.control_number)
            await action(uow.session, canonical, body, actor.staff_id)
            fields = sorted(f"{segment}.{name}" for name in body.model_fields_set)
            await audit.append_in(uow.session, audit_action, "case", canonical, fields=fields)
            await uow.commit()
    except _OutOfScope:
        await audit.record(audit_action, "case", canonical, outcome="denied")
        raise out_of_scope(canonical) from None
    except CaseNotFoundError:
        await audit.record(audit_action, "case", canonical, outcome="not_found")
        raise
    # Close, reopen and withdraw staged a workflow signal; send it now, not at the next poll.
    sender: SignalSender | None = getattr(request.app.state, "signals", None)
    if sender is not None:
        sender.notify()
    async with session_factory() as session:
        return await case_detail(session, canonical, field_keyring(request))


@router.post("/notes", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def add_note(
    control_number: ControlNumberPath,
    actor: Noter,  # first: it names the caller to the audit
    body: schemas.AddNote,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """A note at intake, review, assignment or resolution."""
    return await _apply(
        request, session_factory, audit, actor, "case.note", control_number, actions.add_note, body
    )


@router.post("/assignment", response_model=CaseDetail)
async def assign(
    control_number: ControlNumberPath,
    actor: Assigner,  # first: it names the caller to the audit
    body: schemas.Assign,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Give the case to an office and (optionally) a person in it."""
    return await _apply(
        request, session_factory, audit, actor, "case.assign", control_number, actions.assign, body
    )


@router.post("/priority", response_model=CaseDetail)
async def set_priority(
    control_number: ControlNumberPath,
    actor: Triager,  # first: it names the caller to the audit
    body: schemas.SetPriority,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.triage",
        control_number,
        actions.set_priority,
        body,
    )


@router.put("/tags", response_model=CaseDetail)
async def set_tags(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.SetTags,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Replace the case's tags."""
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        actions.set_tags,
        body,
    )


@router.post("/links", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def link(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.LinkCase,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Mark the case a duplicate of, or related to, another case."""
    return await _apply(
        request, session_factory, audit, actor, "case.update", control_number, actions.link, body
    )


@router.post("/source-pointers", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def add_source_pointer(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.AddSourcePointer,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Point at a record in a source system (its id only, never a copy)."""
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        actions.add_source_pointer,
        body,
    )


@router.put("/findings", response_model=CaseDetail)
async def record_findings(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.RecordFindings,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        actions.record_findings,
        body,
    )


@router.put("/disposition", response_model=CaseDetail)
async def set_disposition(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.SetDisposition,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        actions.set_disposition,
        body,
    )


@router.post("/status", response_model=CaseDetail)
async def change_status(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: schemas.ChangeStatus,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Move between working statuses; an illegal move answers 409 naming both statuses."""
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        closure.change_status,
        body,
    )


@router.post(
    "/information-requests", response_model=CaseDetail, status_code=status.HTTP_201_CREATED
)
async def request_information(
    control_number: ControlNumberPath,
    actor: Updater,  # first: it names the caller to the audit
    body: RequestInformationBody,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Ask the submitter a question (emailed with a reply link); the case awaits the answer."""
    return await _apply(
        request,
        session_factory,
        audit,
        actor,
        "case.update",
        control_number,
        inforeq.request_information,
        body,
    )


@router.post("/close", response_model=CaseDetail)
async def close(
    control_number: ControlNumberPath,
    actor: Closer,  # first: it names the caller to the audit
    body: schemas.CloseCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Close with a disposition; the case's workflow is signalled after the commit."""
    return await _apply(
        request, session_factory, audit, actor, "case.close", control_number, closure.close, body
    )


@router.post("/reopen", response_model=CaseDetail)
async def reopen(
    control_number: ControlNumberPath,
    actor: Reopener,  # first: it names the caller to the audit
    body: schemas.ReopenCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """A closed case goes back to triage."""
    return await _apply(
        request, session_factory, audit, actor, "case.reopen", control_number, closure.reopen, body
    )


@router.post("/withdraw", response_model=CaseDetail)
async def withdraw(
    control_number: ControlNumberPath,
    actor: Closer,  # first: it names the caller to the audit
    body: schemas.WithdrawCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> CaseDetail:
    """Record a withdrawal the submitter asked for by phone or mail."""
    return await _apply(
        request, session_factory, audit, actor, "case.close", control_number, closure.withdraw, body
    )


@router.get("/timeline", response_model=schemas.Timeline)
async def timeline(
    control_number: ControlNumberPath,
    actor: Reader,  # first: it names the caller to the audit
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> schemas.Timeline:
    """Everything that happened to the case, oldest first; the read is audited."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await audit.record("read", "case", canonical, outcome="not_found")
            raise CaseNotFoundError(canonical)
        if not can(actor, "case.read", case.office):
            await audit.record("read", "case", canonical, outcome="denied")
            raise out_of_scope(canonical)
        entries = await queries.timeline_of(session, case.id)
    await audit.record("read", "case", canonical, fields=["timeline"])
    return schemas.Timeline(
        control_number=canonical,
        entries=[schemas.TimelineEntryView.model_validate(entry) for entry in entries],
    )
