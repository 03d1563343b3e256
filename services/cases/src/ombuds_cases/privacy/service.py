"""Privacy Act and FOIA requests: record, search, select, redact, release. Never commits."""

import hashlib
import math
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.disclosures import service as disclosures
from ombuds_cases.disclosures.models import SOURCE_RELEASE
from ombuds_cases.models import Case
from ombuds_cases.privacy import blind_index, export
from ombuds_cases.privacy.blind_index import Term
from ombuds_cases.privacy.models import PrivacyRequest, Redaction, Release, RequestCase
from ombuds_cases.privacy.schemas import (
    FoundCase,
    NewPrivacyRequest,
    NewRedaction,
    PersonSearch,
    PrivacyRequestSummary,
    PrivacyRequestView,
    RedactionView,
    ReleaseView,
    RequestPage,
)
from ombuds_shared.business_days import add_business_days
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.http import ConflictError, NotFoundError, ServiceError

# FOIA: 20 business days (5 U.S.C. 552(a)(6)(A)(i)); DHS answers Privacy Act access requests
# on the same clock (6 CFR 5.21).
RESPONSE_BUSINESS_DAYS = {"foia": 20, "privacy_act": 20}
PAGE_SIZE = 25


class RequestNotFoundError(NotFoundError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"No privacy request has id {request_id}.")


class NotSelectedError(ServiceError):
    status_code = 422
    code = "not_selected"


class NothingToReleaseError(ConflictError):
    pass


class BadControlNumberError(ServiceError):
    status_code = 422
    code = "invalid_control_number"


def canonical(field: str, text: str) -> str:
    """The control number as stored, or a 422 naming the field and what is wrong."""
    try:
        return parse_control_number(text)
    except InvalidControlNumber as error:
        raise BadControlNumberError(f"{field}: {error}") from error


def due_on(kind: str, received_on: date) -> date:
    return add_business_days(received_on, RESPONSE_BUSINESS_DAYS[kind])


def create(session: AsyncSession, body: NewPrivacyRequest, actor: str) -> PrivacyRequest:
    """Stage a new request, its response due in business days from its receipt."""
    row = PrivacyRequest(
        kind=body.kind,
        requester_name=body.requester_name,
        requester_email=str(body.requester_email) if body.requester_email else None,
        requester_address=body.requester_address,
        identity_verification=body.identity_verification,
        description=body.description,
        received_on=body.received_on,
        due_on=due_on(body.kind, body.received_on),
        status="open",
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    return row


async def get(session: AsyncSession, request_id: int) -> PrivacyRequest:
    row = await session.get(PrivacyRequest, request_id)
    if row is None:
        raise RequestNotFoundError(request_id)
    return row


async def selected(session: AsyncSession, request_id: int) -> list[str]:
    found = await session.scalars(
        select(RequestCase.control_number)
        .where(RequestCase.request_id == request_id)
        .order_by(RequestCase.id)
    )
    return list(found.all())


async def redactions(session: AsyncSession, request_id: int) -> list[Redaction]:
    found = await session.scalars(
        select(Redaction).where(Redaction.request_id == request_id).order_by(Redaction.id)
    )
    return list(found.all())


async def page(session: AsyncSession, number: int) -> RequestPage:
    """Requests, the soonest due first, a page at a time."""
    total = await session.scalar(select(func.count()).select_from(PrivacyRequest)) or 0
    counts = (
        select(RequestCase.request_id, func.count().label("n"))
        .group_by(RequestCase.request_id)
        .subquery()
    )
    rows = await session.execute(
        select(PrivacyRequest, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.request_id == PrivacyRequest.id)
        .order_by(PrivacyRequest.due_on, PrivacyRequest.id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return RequestPage(
        total=total,
        page=number,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        requests=[
            PrivacyRequestSummary(
                id=r.id,
                kind=r.kind,
                requester_name=r.requester_name,
                received_on=r.received_on,
                due_on=r.due_on,
                status=r.status,
                selected=int(n),
            )
            for r, n in rows.all()
        ],
    )


async def view(session: AsyncSession, row: PrivacyRequest) -> PrivacyRequestView:
    releases = await session.scalars(
        select(Release).where(Release.request_id == row.id).order_by(Release.id)
    )
    return PrivacyRequestView(
        id=row.id,
        kind=row.kind,
        requester_name=row.requester_name,
        requester_email=row.requester_email,
        requester_address=row.requester_address,
        identity_verification=row.identity_verification,
        description=row.description,
        received_on=row.received_on,
        due_on=row.due_on,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        selected=await selected(session, row.id),
        redactions=[redaction_view(r) for r in await redactions(session, row.id)],
        releases=[
            ReleaseView(
                id=r.id,
                control_numbers=list(r.control_numbers),
                method=r.method,
                sha256=r.sha256,
                released_by=r.released_by,
                released_at=r.released_at,
            )
            for r in releases
        ],
    )


def redaction_view(row: Redaction) -> RedactionView:
    return RedactionView(
        id=row.id,
        control_number=row.control_number,
        target=row.target,
        span=row.span,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def search(
    session: AsyncSession, key: bytes, request_id: int, query: PersonSearch
) -> list[FoundCase]:
    """Every case whose subject has all the identifiers given (through the blind index)."""
    by_term: list[tuple[str, set[str]]] = []
    terms: list[tuple[Term, str | None]] = [
        ("name", query.name),
        ("email", str(query.email) if query.email else None),
        ("identity", query.identity_number),
    ]
    for term, value in terms:
        if value is not None:
            by_term.append((term, set(await blind_index.search(session, key, term, value))))
    if query.control_number is not None:
        by_term.append(("control_number", {canonical("control_number", query.control_number)}))
    numbers = set.intersection(*(found for _, found in by_term))
    if not numbers:
        return []
    cases = await session.scalars(
        select(Case).where(Case.control_number.in_(numbers)).order_by(Case.received_at)
    )
    chosen = set(await selected(session, request_id))
    return [
        FoundCase(
            control_number=case.control_number,
            matched_by=[term for term, _ in by_term],
            kind=case.kind,
            category=case.category,
            status=case.status,
            received_at=case.received_at,
            subject_name=disclosures.subject_name(case),
            selected=case.control_number in chosen,
        )
        for case in cases
    ]


async def select_cases(
    session: AsyncSession, request_id: int, control_numbers: list[str], actor: str
) -> list[str]:
    """Add cases to the request's selection (each once); returns the numbers newly added."""
    chosen = set(await selected(session, request_id))
    added: list[str] = []
    for raw in control_numbers:
        number = canonical("control_numbers", raw)
        if number in chosen or number in added:
            continue
        if await repository.by_control_number(session, number) is None:
            raise NotFoundError(f"control_numbers: no case has control number {number}.")
        session.add(
            RequestCase(
                request_id=request_id,
                control_number=number,
                selected_by=actor,
                selected_at=utcnow(),
            )
        )
        added.append(number)
    return added


async def unselect(session: AsyncSession, request_id: int, control_number: str) -> None:
    row = await session.scalar(
        select(RequestCase).where(
            RequestCase.request_id == request_id, RequestCase.control_number == control_number
        )
    )
    if row is None:
        raise NotSelectedError(f"control_number: {control_number} is not selected")
    await session.delete(row)
    for redaction in await redactions(session, request_id):
        if redaction.control_number == control_number:
            await session.delete(redaction)


async def add_redaction(
    session: AsyncSession, keyring: FieldKeyring, request_id: int, body: NewRedaction, actor: str
) -> Redaction:
    """Mark third-party information in a selected case; refused when it withholds nothing."""
    number = canonical("control_number", body.control_number)
    if number not in await selected(session, request_id):
        raise NotSelectedError(f"control_number: {number} is not selected for this request")
    record = await export.case_record(session, keyring, number)
    if record is None:
        raise NotFoundError(f"control_number: no case has control number {number}.")
    export.check_redaction(record, body.target, body.span)
    row = Redaction(
        request_id=request_id,
        control_number=number,
        target=body.target,
        span=body.span,
        reason=body.reason,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def remove_redaction(session: AsyncSession, request_id: int, redaction_id: int) -> Redaction:
    row = await session.get(Redaction, redaction_id)
    if row is None or row.request_id != request_id:
        raise NotFoundError(f"No redaction {redaction_id} in privacy request {request_id}.")
    await session.delete(row)
    return row


async def build_export(
    session: AsyncSession, keyring: FieldKeyring, row: PrivacyRequest
) -> dict[str, Any]:
    numbers = await selected(session, row.id)
    if not numbers:
        raise NothingToReleaseError("Select the requester's cases before exporting.")
    return await export.build(
        session, keyring, row, numbers, await redactions(session, row.id), utcnow()
    )


async def release(
    session: AsyncSession, keyring: FieldKeyring, row: PrivacyRequest, method: str, actor: str
) -> tuple[Release, dict[str, Any]]:
    """Record the release: its digest, and a disclosure accounting row per case released."""
    document = await build_export(session, keyring, row)
    numbers = [case["control_number"] for case in document["cases"] if not case.get("purged")]
    entry = Release(
        request_id=row.id,
        control_numbers=numbers,
        method=method,
        sha256=hashlib.sha256(export.as_json(document)).hexdigest(),
        released_by=actor,
        released_at=utcnow(),
    )
    session.add(entry)
    await session.flush()
    law = "5 U.S.C. 552a(d)(1)" if row.kind == "privacy_act" else "5 U.S.C. 552"
    for number in numbers:
        case = await repository.by_control_number(session, number)
        if case is None:
            continue
        await disclosures.record_privacy_share(
            session,
            case,
            source=SOURCE_RELEASE,
            source_key=f"{SOURCE_RELEASE}:{entry.id}:{number}",
            nature="the record, with third-party information redacted",
            purpose=f"access request {row.id} under {law}",
            recipient_name=row.requester_name,
            recipient_address=row.requester_address,
            method=method,
            actor=actor,
        )
    row.status = "released"
    return entry, document
