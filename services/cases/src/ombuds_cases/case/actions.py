"""Staff actions on a case: each changes the case, writes the timeline and stages its event.

Nothing here commits: the router's unit of work does, so the change, its timeline entry, its
`case.*` event and any workflow signal are one transaction.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import schemas, timeline
from ombuds_cases.case.records import CaseLink, Note, SourcePointer
from ombuds_cases.case.signals import queue_signal
from ombuds_cases.case.status import check_workable
from ombuds_cases.models import Case
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.contracts import STATUS_CHANGED_SIGNAL, StatusChanged
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_ASSIGNED_V1,
    CASE_DISPOSITION_SET_V1,
    CASE_FINDINGS_RECORDED_V1,
    CASE_LINKED_V1,
    CASE_NOTE_ADDED_V1,
    CASE_PRIORITY_CHANGED_V1,
    CASE_SOURCE_POINTER_ADDED_V1,
    CASE_TAGS_CHANGED_V1,
    CaseAssignedV1,
    CaseDispositionSetV1,
    CaseFindingsRecordedV1,
    CaseLinkedV1,
    CaseNoteAddedV1,
    CasePriorityChangedV1,
    CaseSourcePointerAddedV1,
    CaseTagsChangedV1,
)
from ombuds_shared.http import ConflictError, ServiceError


class UnknownLinkedCaseError(ServiceError):
    status_code = 422
    code = "unknown_case"


class SelfLinkError(ServiceError):
    status_code = 422
    code = "self_link"


class AlreadyDoneError(ConflictError):
    code = "already_done"


def direct_step() -> str:
    """A status change applied directly (staff, submitter) is its own step; workflow steps
    have fixed names, so a retried workflow activity can recognise its own."""
    return f"direct-{uuid.uuid4().hex}"


class CaseArchivedError(ConflictError):
    code = "case_archived"


async def load(session: AsyncSession, control_number: str) -> Case:
    """The case, locked for this transaction where the database can lock rows; an archived
    case (purged at the end of retention) refuses every change, notes and reopening included."""
    case = await repository.by_control_number(session, control_number, for_update=True)
    if case is None:
        raise CaseNotFoundError(control_number)
    if case.archived_at is not None:
        raise CaseArchivedError(
            f"Case {control_number} was archived: its retention period ended and it was purged."
        )
    return case


async def add_note(
    session: AsyncSession, control_number: str, request: schemas.AddNote, actor: str
) -> Note:
    """Notes may be added at any status, closed included (a resolution note after the fact)."""
    case = await load(session, control_number)
    now = utcnow()
    note = Note(
        case_id=case.id, stage=request.stage, text=request.text, author=actor, created_at=now
    )
    session.add(note)
    await session.flush()
    case.updated_at = now
    timeline.record(
        session,
        case,
        "note_added",
        f"{request.stage} note",
        actor,
        {"note_id": note.id, "stage": request.stage},
    )
    timeline.announce(
        session,
        case,
        CASE_NOTE_ADDED_V1,
        CaseNoteAddedV1(
            control_number=case.control_number,
            note_id=note.id,
            stage=request.stage,
            author=actor,
            added_at=now,
        ),
    )
    return note


async def assign(
    session: AsyncSession, control_number: str, request: schemas.Assign, actor: str
) -> Case:
    """Give the case to an office (and a person); a case still in intake becomes assigned."""
    case = await load(session, control_number)
    check_workable(case.status, "assign")
    now = utcnow()
    case.office, case.assignee, case.updated_at = request.office, request.assignee, now
    who = f"{request.office}" + (f" / {request.assignee}" if request.assignee else "")
    timeline.record(
        session,
        case,
        "assigned",
        f"assigned to {who}",
        actor,
        {"office": request.office, "assignee": request.assignee},
    )
    timeline.announce(
        session,
        case,
        CASE_ASSIGNED_V1,
        CaseAssignedV1(
            control_number=case.control_number,
            office=request.office,
            assignee=request.assignee,
            assigned_by=actor,
            assigned_at=now,
        ),
    )
    if case.status in ("received", "triage"):
        timeline.move(session, case, "assigned", f"assigned to {who}", direct_step(), actor)
    # The workflow's triage clock stops at assignment; the office is a search attribute.
    queue_signal(
        session,
        case.control_number,
        STATUS_CHANGED_SIGNAL,
        StatusChanged(to_status=case.status, reason=f"assigned to {who}", office=request.office),
    )
    return case


async def set_priority(
    session: AsyncSession, control_number: str, request: schemas.SetPriority, actor: str
) -> Case:
    case = await load(session, control_number)
    check_workable(case.status, "change priority")
    if case.priority == request.priority:
        return case
    now = utcnow()
    previous, case.priority, case.updated_at = case.priority, request.priority, now
    timeline.record(
        session,
        case,
        "priority_changed",
        f"priority {previous} -> {request.priority}",
        actor,
        {"from": previous, "to": request.priority},
    )
    timeline.announce(
        session,
        case,
        CASE_PRIORITY_CHANGED_V1,
        CasePriorityChangedV1(
            control_number=case.control_number,
            from_priority=previous,
            to_priority=request.priority,
            changed_at=now,
        ),
    )
    return case


async def set_tags(
    session: AsyncSession, control_number: str, request: schemas.SetTags, actor: str
) -> Case:
    """Replace the case's tags (sorted, without repeats)."""
    case = await load(session, control_number)
    check_workable(case.status, "change tags")
    tags = sorted(set(request.tags))
    if tags == list(case.tags or []):
        return case
    now = utcnow()
    previous, case.tags, case.updated_at = list(case.tags or []), tags, now
    timeline.record(
        session,
        case,
        "tags_changed",
        "tags: " + (", ".join(tags) or "none"),
        actor,
        {"from": previous, "to": tags},
    )
    timeline.announce(
        session,
        case,
        CASE_TAGS_CHANGED_V1,
        CaseTagsChangedV1(control_number=case.control_number, tags=tags, changed_at=now),
    )
    return case


async def link(
    session: AsyncSession, control_number: str, request: schemas.LinkCase, actor: str
) -> Case:
    case = await load(session, control_number)
    if request.control_number == case.control_number:
        raise SelfLinkError("control_number: a case cannot be linked to itself.")
    if await repository.by_control_number(session, request.control_number) is None:
        raise UnknownLinkedCaseError(
            f"control_number: no case has control number {request.control_number}."
        )
    existing = await session.scalar(
        select(CaseLink.id).where(
            CaseLink.case_id == case.id,
            CaseLink.linked_control_number == request.control_number,
            CaseLink.relation == request.relation,
        )
    )
    if existing is not None:
        raise AlreadyDoneError(
            f"{case.control_number} is already {request.relation} {request.control_number}."
        )
    now = utcnow()
    session.add(
        CaseLink(
            case_id=case.id,
            linked_control_number=request.control_number,
            relation=request.relation,
            created_at=now,
        )
    )
    case.updated_at = now
    timeline.record(
        session,
        case,
        "linked",
        f"{request.relation} {request.control_number}",
        actor,
        {"linked_control_number": request.control_number, "relation": request.relation},
    )
    timeline.announce(
        session,
        case,
        CASE_LINKED_V1,
        CaseLinkedV1(
            control_number=case.control_number,
            linked_control_number=request.control_number,
            relation=request.relation,
            linked_at=now,
        ),
    )
    return case


async def add_source_pointer(
    session: AsyncSession, control_number: str, request: schemas.AddSourcePointer, actor: str
) -> Case:
    """Point at a record in a source system (PIA 1.2: a reference, never a copy)."""
    case = await load(session, control_number)
    existing = await session.scalar(
        select(SourcePointer.id).where(
            SourcePointer.case_id == case.id,
            SourcePointer.system == request.system,
            SourcePointer.reference_id == request.reference_id,
        )
    )
    if existing is not None:
        raise AlreadyDoneError(
            f"{case.control_number} already points at {request.system} {request.reference_id}."
        )
    now = utcnow()
    session.add(
        SourcePointer(
            case_id=case.id,
            system=request.system,
            reference_id=request.reference_id,
            created_at=now,
        )
    )
    case.updated_at = now
    timeline.record(
        session,
        case,
        "source_pointer_added",
        f"{request.system} record {request.reference_id}",
        actor,
        {"system": request.system, "reference_id": request.reference_id},
    )
    timeline.announce(
        session,
        case,
        CASE_SOURCE_POINTER_ADDED_V1,
        CaseSourcePointerAddedV1(
            control_number=case.control_number,
            system=request.system,
            reference_id=request.reference_id,
            added_at=now,
        ),
    )
    return case


async def record_findings(
    session: AsyncSession, control_number: str, request: schemas.RecordFindings, actor: str
) -> Case:
    """Set the current findings and recommendations; earlier ones stay in the timeline."""
    case = await load(session, control_number)
    check_workable(case.status, "record findings")
    now = utcnow()
    case.findings, case.recommendations, case.updated_at = (
        request.findings,
        request.recommendations,
        now,
    )
    timeline.record(
        session,
        case,
        "findings_recorded",
        "findings and recommendations recorded",
        actor,
        {"findings": request.findings, "recommendations": request.recommendations},
    )
    timeline.announce(
        session,
        case,
        CASE_FINDINGS_RECORDED_V1,
        CaseFindingsRecordedV1(
            control_number=case.control_number,
            has_findings=True,
            has_recommendations=request.recommendations is not None,
            recorded_at=now,
        ),
    )
    return case


def set_disposition_on(session: AsyncSession, case: Case, disposition: str, actor: str) -> None:
    if case.disposition == disposition:
        return
    now = utcnow()
    previous, case.disposition, case.updated_at = case.disposition, disposition, now
    timeline.record(
        session,
        case,
        "disposition_set",
        f"disposition: {disposition}",
        actor,
        {"from": previous, "to": disposition},
    )
    timeline.announce(
        session,
        case,
        CASE_DISPOSITION_SET_V1,
        CaseDispositionSetV1(
            control_number=case.control_number, disposition=disposition, set_at=now
        ),
    )


async def set_disposition(
    session: AsyncSession, control_number: str, request: schemas.SetDisposition, actor: str
) -> Case:
    case = await load(session, control_number)
    check_workable(case.status, "set the disposition")
    set_disposition_on(session, case, request.disposition, actor)
    return case
