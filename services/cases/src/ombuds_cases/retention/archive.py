"""`cases.archive_case`: the cases service's side of the five-year purge, in one transaction.

The case's data key is shredded (sealed identity numbers never open again), every personal
value the cases tables hold about the case is deleted or scrubbed, an archive record keeps only
non-personal figures for trend reports, and `case.archive-requested.v1` tells intake, referrals
and notifications to purge their copies. The case row stays, with `archived_at` set and its
closing status unchanged, so the number still resolves and every action on it is refused.

Kept: the audit trail (who, what, when; hash-chained, append-only) and the accounting of
disclosures (Privacy Act 552a(c): it outlives the record, see disclosures/models.py).
A retry after success finds the archive record and returns its manifest, purging nothing more.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case import timeline
from ombuds_cases.case.records import (
    Amendment,
    Note,
    PendingSignal,
    SourcePointer,
    Supplement,
    TimelineEntry,
)
from ombuds_cases.crypto.keys import shred
from ombuds_cases.disclosures.models import Disclosure
from ombuds_cases.inforeq.models import InformationRequest
from ombuds_cases.models import Case, OutboxRecord, StatusChange
from ombuds_cases.privacy.models import PersonIndexEntry
from ombuds_cases.referrals.models import CaseReferral
from ombuds_cases.retention import schedule
from ombuds_cases.retention.archive_record import CaseArchive
from ombuds_cases.retention.models import ARCHIVING
from ombuds_cases.service import CaseNotFoundError, add_event
from ombuds_shared.db import utcnow
from ombuds_shared.events import CASE_ARCHIVE_REQUESTED_V1, CaseArchiveRequestedV1, make_event
from ombuds_shared.retention_contracts import ArchiveResult

# The services that hold their own copy of a case and confirm their purge with store_cleared.
PURGING_SERVICES = ["intake", "referrals", "notifications"]
PURGED = "[purged]"
ARCHIVE_ACTOR = "retention"
# Timeline data keys that name statuses, stages and record ids, never what anyone wrote.
TIMELINE_KEYS_KEPT = frozenset(
    {
        "from_status",
        "to_status",
        "status",
        "stage",
        "note_id",
        "office",
        "relation",
        "system",
        "supplement_id",
        "amendment_id",
        "field",
    }
)


class CaseNotClosedError(Exception):
    """Retention only ever archives a settled case; anything else is a bug upstream."""


def month_of(moment: datetime | None) -> date | None:
    return None if moment is None else date(moment.year, moment.month, 1)


async def _count(session: AsyncSession, model: Any, *where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _delete(session: AsyncSession, model: Any, *where: ColumnElement[bool]) -> int:
    result: Any = await session.execute(delete(model).where(*where))
    return int(result.rowcount or 0)


async def _figures(session: AsyncSession, case: Case) -> dict[str, int]:
    """The counts the archive record keeps, taken before anything is removed."""
    return {
        "note_count": await _count(session, Note, Note.case_id == case.id),
        "referral_count": await _count(
            session,
            StatusChange,
            StatusChange.case_id == case.id,
            StatusChange.to_status == "referred",
        ),
        "supplement_count": await _count(session, Supplement, Supplement.case_id == case.id),
        "amendment_count": await _count(session, Amendment, Amendment.case_id == case.id),
        "disclosure_count": await _count(
            session, Disclosure, Disclosure.control_number == case.control_number
        ),
    }


async def _scrub_timeline(session: AsyncSession, case_id: int) -> int:
    """Summaries and reasons may quote the person; data keeps only non-personal keys."""
    entries = (
        await session.scalars(select(TimelineEntry).where(TimelineEntry.case_id == case_id))
    ).all()
    for entry in entries:
        entry.summary = PURGED
        entry.data = {key: value for key, value in entry.data.items() if key in TIMELINE_KEYS_KEPT}
    return len(entries)


def _scrub_case(case: Case) -> None:
    case.contact_first_name = None
    case.contact_last_name = None
    case.contact_email = None
    # Emptying the narrative also empties its full-text index entry (an expression index).
    case.narrative = ""
    case.incident_date = None
    case.port_of_entry = None
    # Contact details beyond name and email, identity (sealed), incident, attachment ids.
    case.details = {}
    case.findings = None
    case.recommendations = None
    # Free staff words (a tag may be a surname); the archive record does not keep them.
    case.tags = []


async def _purge(session: AsyncSession, case: Case) -> dict[str, int]:
    """Delete or scrub everything personal about the case; the manifest of what was done."""
    number = case.control_number
    manifest = {
        "case_data_keys": int(await shred(session, number)),
        "case_notes": await _delete(session, Note, Note.case_id == case.id),
        "supplements": await _delete(session, Supplement, Supplement.case_id == case.id),
        "amendments": await _delete(session, Amendment, Amendment.case_id == case.id),
        "source_pointers": await _delete(session, SourcePointer, SourcePointer.case_id == case.id),
        "outbox": await _delete(session, OutboxRecord, OutboxRecord.message_key == number),
        "pending_signals": await _delete(
            session, PendingSignal, PendingSignal.control_number == number
        ),
        # The questions put to the submitter may quote them; the answers went with supplements.
        "information_requests": await _delete(
            session, InformationRequest, InformationRequest.case_id == case.id
        ),
        # What the case's referrals said (purpose, disposition); the accounting keeps the shares.
        "case_referrals": await _delete(
            session, CaseReferral, CaseReferral.control_number == number
        ),
        # A blind-index digest still finds the person: it goes with the rest.
        "person_index": await _delete(
            session, PersonIndexEntry, PersonIndexEntry.control_number == number
        ),
    }
    changes: Any = await session.execute(
        update(StatusChange).where(StatusChange.case_id == case.id).values(reason=PURGED)
    )
    manifest["status_changes"] = int(changes.rowcount or 0)
    manifest["timeline_entries"] = await _scrub_timeline(session, case.id)
    _scrub_case(case)
    manifest["cases"] = 1
    return manifest


def _record(case: Case, figures: dict[str, int], manifest: dict[str, int], now: datetime) -> Any:
    received = month_of(case.received_at)
    assert received is not None  # received_at is not nullable
    days = None if case.closed_at is None else (case.closed_at - case.received_at).days
    return CaseArchive(
        control_number=case.control_number,
        kind=case.kind,
        category=case.category,
        topic=case.topic,
        channel=case.channel,
        office=case.office,
        language=case.language,
        anonymous=case.anonymous,
        final_status=case.status,
        disposition=case.disposition,
        received_month=received,
        closed_month=month_of(case.closed_at),
        days_to_close=days,
        manifest=manifest,
        archived_at=now,
        **figures,
    )


async def archive_case(session: AsyncSession, control_number: str) -> ArchiveResult:
    """Purge the case in the caller's transaction (the caller commits); repeat-safe."""
    done = await session.scalar(
        select(CaseArchive.manifest).where(CaseArchive.control_number == control_number)
    )
    if done is not None:
        return ArchiveResult(services=list(PURGING_SERVICES), manifest=dict(done))
    case = await repository.by_control_number(session, control_number, for_update=True)
    if case is None:
        raise CaseNotFoundError(control_number)
    if case.closed_at is None and case.status not in ("withdrawn", "redirected"):
        raise CaseNotClosedError(f"{control_number} is {case.status}, not closed")
    now = utcnow()
    figures = await _figures(session, case)
    # Bulk statements first: a staged row would be flushed before a later bulk delete.
    manifest = await _purge(session, case)
    case.archived_at = now
    case.updated_at = now
    session.add(_record(case, figures, manifest, now))
    await schedule.set_state(session, control_number, ARCHIVING)
    timeline.record(
        session, case, "archived", "retention period ended: personal data purged", ARCHIVE_ACTOR
    )
    body = CaseArchiveRequestedV1(control_number=control_number, requested_at=now)
    add_event(
        session, make_event(timeline.EVENT_SOURCE, CASE_ARCHIVE_REQUESTED_V1, body, control_number)
    )
    return ArchiveResult(services=list(PURGING_SERVICES), manifest=manifest)
