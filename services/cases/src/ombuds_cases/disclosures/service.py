"""Record and list the accounting of disclosures; never commits (the caller's unit of work)."""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.disclosures.models import SOURCE_MANUAL, SOURCE_REFERRAL, Disclosure
from ombuds_cases.disclosures.retention import record_purge_date, retain_until
from ombuds_cases.disclosures.schemas import DisclosureView, ManualDisclosure
from ombuds_cases.models import Case
from ombuds_cases.service import CaseNotFoundError
from ombuds_shared.db import utcnow
from ombuds_shared.events import ReferralDeliveredV1


def name_key(name: str) -> str:
    """How names are compared: case-folded, whitespace collapsed ("ANA  pérez" = "Ana Pérez")."""
    return " ".join(name.split()).casefold()


def subject_name(case: Case | None) -> str | None:
    if case is None:
        return None
    name = " ".join(p for p in (case.contact_first_name, case.contact_last_name) if p)
    return name or None


def _row(
    *,
    source: str,
    basis: str,
    source_key: str,
    control_number: str,
    case: Case | None,
    disclosed_at: datetime,
    nature: str,
    purpose: str,
    recipient_name: str,
    recipient_address: str,
    method: str,
    disclosed_by: str,
) -> Disclosure:
    purge = record_purge_date(case.closed_at if case is not None else None)
    name = subject_name(case)
    return Disclosure(
        source=source,
        basis=basis,
        source_key=source_key,
        control_number=control_number,
        subject_name=name,
        subject_name_key=name_key(name) if name else None,
        subject_email=case.contact_email if case is not None else None,
        disclosed_at=disclosed_at,
        nature=nature,
        purpose=purpose,
        recipient_name=recipient_name,
        recipient_address=recipient_address,
        method=method,
        disclosed_by=disclosed_by,
        retain_until=retain_until(disclosed_at, purge),
        recorded_at=utcnow(),
    )


async def record_referral_delivery(
    session: AsyncSession, delivered: ReferralDeliveredV1
) -> Disclosure | None:
    """Account for a referral's first delivery, inside DHS or outside it, once per referral.

    The event's `disclosure` says under which basis the record went (need to know inside
    DHS, a routine use outside it). A referral's later deliveries on other channels and its
    reminders carry none and change nothing here; nor do events staged before inside-DHS
    shares were accounted, which carried none for them.
    """
    if delivered.disclosure is None:
        return None
    source_key = f"{SOURCE_REFERRAL}:{delivered.referral_id}"
    taken = await session.scalar(select(Disclosure.id).where(Disclosure.source_key == source_key))
    if taken is not None:
        return None
    case = await repository.by_control_number(session, delivered.control_number)
    form = delivered.disclosure
    row = _row(
        source=SOURCE_REFERRAL,
        basis=form.basis,
        source_key=source_key,
        control_number=delivered.control_number,
        case=case,
        disclosed_at=form.date,
        nature=form.nature,
        purpose=form.purpose,
        recipient_name=form.recipient_name,
        recipient_address=form.recipient_address,
        method=f"referral ({delivered.channel})",
        disclosed_by=f"referral {delivered.referral_id}",
    )
    session.add(row)
    return row


async def record_manual(
    session: AsyncSession, control_number: str, request: ManualDisclosure, actor: str
) -> Disclosure:
    """A share staff made themselves; the case must exist (its contact is the subject)."""
    case = await repository.by_control_number(session, control_number)
    if case is None:
        raise CaseNotFoundError(control_number)
    row = _row(
        source=SOURCE_MANUAL,
        basis=SOURCE_MANUAL,
        source_key=f"{SOURCE_MANUAL}:{uuid.uuid4()}",
        control_number=control_number,
        case=case,
        disclosed_at=request.disclosed_at or utcnow(),
        nature=request.nature,
        purpose=request.purpose,
        recipient_name=request.recipient_name,
        recipient_address=request.recipient_address,
        method=request.method,
        disclosed_by=actor,
    )
    session.add(row)
    await session.flush()
    return row


async def record_privacy_share(
    session: AsyncSession,
    case: Case,
    *,
    source: str,
    source_key: str,
    nature: str,
    purpose: str,
    recipient_name: str,
    recipient_address: str,
    method: str,
    actor: str,
) -> Disclosure:
    """A release to a requester or a notice of correction, made by the privacy office."""
    row = _row(
        source=source,
        basis=source,
        source_key=source_key,
        control_number=case.control_number,
        case=case,
        disclosed_at=utcnow(),
        nature=nature,
        purpose=purpose,
        recipient_name=recipient_name,
        recipient_address=recipient_address,
        method=method,
        disclosed_by=actor,
    )
    session.add(row)
    return row


async def extend_for_purge_date(
    session: AsyncSession, control_number: str, purge_date: datetime
) -> None:
    """Raise every row of a case to the record's purge date (for closure and retention)."""
    await session.execute(
        update(Disclosure)
        .where(Disclosure.control_number == control_number, Disclosure.retain_until < purge_date)
        .values(retain_until=purge_date)
    )


async def keep_accounting_for_life_of_record(session: AsyncSession, case: Case) -> None:
    """On closure: the case's purge date is now known; no accounting row may go before it."""
    purge = record_purge_date(case.closed_at)
    if purge is not None:
        await extend_for_purge_date(session, case.control_number, purge)


async def for_case(session: AsyncSession, control_number: str) -> list[Disclosure]:
    statement = (
        select(Disclosure)
        .where(Disclosure.control_number == control_number)
        .order_by(Disclosure.disclosed_at, Disclosure.id)
    )
    return list((await session.scalars(statement)).all())


async def for_person(
    session: AsyncSession, email: str | None, name: str | None
) -> list[Disclosure]:
    """Every disclosure about the person with this email or this full name (case-insensitive)."""
    statement = select(Disclosure).order_by(Disclosure.disclosed_at, Disclosure.id)
    if email is not None:
        statement = statement.where(func.lower(Disclosure.subject_email) == email.lower())
    if name is not None:
        statement = statement.where(Disclosure.subject_name_key == name_key(name))
    return list((await session.scalars(statement)).all())


def view(row: Disclosure) -> DisclosureView:
    return DisclosureView(
        id=row.id,
        source=row.source,
        basis=row.basis,
        control_number=row.control_number,
        subject_name=row.subject_name,
        subject_email=row.subject_email,
        disclosed_at=row.disclosed_at,
        nature=row.nature,
        purpose=row.purpose,
        recipient_name=row.recipient_name,
        recipient_address=row.recipient_address,
        method=row.method,
        disclosed_by=row.disclosed_by,
        retain_until=row.retain_until,
        recorded_at=row.recorded_at,
    )
