"""Staff actions on one case: `/api/v1/cases/{control_number}/...` (JSON in, the case out)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import actions, closure, queries, schemas
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.case.views import case_detail
from ombuds_cases.crypto.dependencies import field_keyring
from ombuds_cases.router import ControlNumberPath, canonical_control_number, require_staff
from ombuds_cases.schemas import CaseDetail
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(
    prefix="/api/v1/cases/{control_number}",
    tags=["case actions"],
    dependencies=[Depends(require_staff)],
)

Body = TypeVar("Body", bound=BaseModel)
Action = Callable[[AsyncSession, str, Body, str], Awaitable[object]]


def acting_staff() -> str:
    """Who is acting, for the timeline and events.

    The development bearer token names no one; staff accounts (issue 4 item 1) replace this
    dependency with the signed-in member's id.
    """
    return "staff"


StaffDep = Annotated[str, Depends(acting_staff)]


async def _apply(
    request: Request,
    session_factory: SessionFactoryDep,
    control_number: str,
    action: Action[Body],
    body: Body,
    actor: str,
) -> CaseDetail:
    """Run one action in one transaction, then show the case as it now is."""
    canonical = canonical_control_number(control_number)
    async with UnitOfWork(session_factory) as uow:
        await action(uow.session, canonical, body, actor)
        await uow.commit()
    # Close, reopen and withdraw staged a workflow signal; send it now, not at the next poll.
    sender: SignalSender | None = getattr(request.app.state, "signals", None)
    if sender is not None:
        sender.notify()
    async with session_factory() as session:
        return await case_detail(session, canonical, field_keyring(request))


@router.post("/notes", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def add_note(
    control_number: ControlNumberPath,
    body: schemas.AddNote,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """A note at intake, review, assignment or resolution."""
    return await _apply(request, session_factory, control_number, actions.add_note, body, actor)


@router.post("/assignment", response_model=CaseDetail)
async def assign(
    control_number: ControlNumberPath,
    body: schemas.Assign,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Give the case to an office and (optionally) a person in it."""
    return await _apply(request, session_factory, control_number, actions.assign, body, actor)


@router.post("/priority", response_model=CaseDetail)
async def set_priority(
    control_number: ControlNumberPath,
    body: schemas.SetPriority,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    return await _apply(request, session_factory, control_number, actions.set_priority, body, actor)


@router.put("/tags", response_model=CaseDetail)
async def set_tags(
    control_number: ControlNumberPath,
    body: schemas.SetTags,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Replace the case's tags."""
    return await _apply(request, session_factory, control_number, actions.set_tags, body, actor)


@router.post("/links", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def link(
    control_number: ControlNumberPath,
    body: schemas.LinkCase,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Mark the case a duplicate of, or related to, another case."""
    return await _apply(request, session_factory, control_number, actions.link, body, actor)


@router.post("/source-pointers", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
async def add_source_pointer(
    control_number: ControlNumberPath,
    body: schemas.AddSourcePointer,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Point at a record in a source system (its id only, never a copy)."""
    return await _apply(
        request, session_factory, control_number, actions.add_source_pointer, body, actor
    )


@router.put("/findings", response_model=CaseDetail)
async def record_findings(
    control_number: ControlNumberPath,
    body: schemas.RecordFindings,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    return await _apply(
        request, session_factory, control_number, actions.record_findings, body, actor
    )


@router.put("/disposition", response_model=CaseDetail)
async def set_disposition(
    control_number: ControlNumberPath,
    body: schemas.SetDisposition,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    return await _apply(
        request, session_factory, control_number, actions.set_disposition, body, actor
    )


@router.post("/status", response_model=CaseDetail)
async def change_status(
    control_number: ControlNumberPath,
    body: schemas.ChangeStatus,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Move between working statuses; an illegal move answers 409 naming both statuses."""
    return await _apply(
        request, session_factory, control_number, closure.change_status, body, actor
    )


@router.post("/close", response_model=CaseDetail)
async def close(
    control_number: ControlNumberPath,
    body: schemas.CloseCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Close with a disposition; the case's workflow is signalled after the commit."""
    return await _apply(request, session_factory, control_number, closure.close, body, actor)


@router.post("/reopen", response_model=CaseDetail)
async def reopen(
    control_number: ControlNumberPath,
    body: schemas.ReopenCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """A closed case goes back to triage."""
    return await _apply(request, session_factory, control_number, closure.reopen, body, actor)


@router.post("/withdraw", response_model=CaseDetail)
async def withdraw(
    control_number: ControlNumberPath,
    body: schemas.WithdrawCaseRequest,
    request: Request,
    session_factory: SessionFactoryDep,
    actor: StaffDep,
) -> CaseDetail:
    """Record a withdrawal the submitter asked for by phone or mail."""
    return await _apply(request, session_factory, control_number, closure.withdraw, body, actor)


@router.get("/timeline", response_model=schemas.Timeline)
async def timeline(
    control_number: ControlNumberPath, session_factory: SessionFactoryDep
) -> schemas.Timeline:
    """Everything that happened to the case, oldest first."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            raise CaseNotFoundError(canonical)
        entries = await queries.timeline_of(session, case.id)
    return schemas.Timeline(
        control_number=canonical,
        entries=[schemas.TimelineEntryView.model_validate(entry) for entry in entries],
    )
