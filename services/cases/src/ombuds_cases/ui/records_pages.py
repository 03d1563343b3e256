"""The records officer's page: cases by retention state, purges falling due, standing legal
holds and deletion certificates, all from the cases database (the schedule projection), so
the page never asks Temporal about each row. Shows control numbers and counts, no contact."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.audit.dependencies import request_audit
from ombuds_cases.retention.models import (
    HOLDABLE_STATES,
    SCHEDULE_STATES,
    DeletionCertificate,
    RetentionHold,
    RetentionSchedule,
)
from ombuds_cases.staff.policy import StaffActor
from ombuds_cases.ui.pages import FieldError, PageRefused, field_errors, page_actor, render
from ombuds_shared.db import utcnow
from ombuds_shared.http import session_factory_of

router = APIRouter(prefix="/staff", include_in_schema=False)

RecordsReader = Annotated[StaffActor, Depends(page_actor("retention.read"))]
PAGE_SIZE = 25
LISTED = 50  # standing holds and recent certificates shown; the counts say how many in all


WINDOWS = (30, 90)


class RecordsQuery(BaseModel):
    window: int = 30
    page: int = 1

    @field_validator("window")
    @classmethod
    def _offered_window(cls, value: int) -> int:
        if value not in WINDOWS:
            raise ValueError("must be 30 or 90 days")
        return value


async def _counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(RetentionSchedule.state, func.count()).group_by(RetentionSchedule.state)
    )
    found = {state: int(count) for state, count in rows.all()}
    return {state: found.get(state, 0) for state in SCHEDULE_STATES}


async def _due(session: AsyncSession, days: int, page: int) -> tuple[list[RetentionSchedule], int]:
    """Runs not yet archiving whose purge falls due within `days` (overdue ones first)."""
    query = select(RetentionSchedule).where(
        RetentionSchedule.state.in_(HOLDABLE_STATES),
        RetentionSchedule.due_at <= utcnow() + timedelta(days=days),
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(RetentionSchedule.due_at, RetentionSchedule.control_number)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(rows.all()), int(total or 0)


async def _standing_holds(session: AsyncSession) -> tuple[list[RetentionHold], int]:
    standing = select(RetentionHold).where(RetentionHold.lifted_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(standing.subquery()))
    rows = await session.scalars(standing.order_by(RetentionHold.placed_at.desc()).limit(LISTED))
    return list(rows.all()), int(total or 0)


async def _certificates(session: AsyncSession) -> tuple[list[DeletionCertificate], int]:
    total = await session.scalar(select(func.count()).select_from(DeletionCertificate))
    rows = await session.scalars(
        select(DeletionCertificate).order_by(DeletionCertificate.issued_at.desc()).limit(LISTED)
    )
    return list(rows.all()), int(total or 0)


@router.get("/records", response_class=HTMLResponse)
async def records(request: Request, actor: RecordsReader) -> HTMLResponse:
    problems: list[FieldError] = []
    try:
        query = RecordsQuery.model_validate(dict(request.query_params))
    except ValidationError as error:
        problems = field_errors(error, "records")
        query = RecordsQuery()
    page = max(query.page, 1)
    async with session_factory_of(request)() as session:
        counts = await _counts(session)
        due, due_total = await _due(session, query.window, page)
        standing, standing_total = await _standing_holds(session)
        certificates, certificates_total = await _certificates(session)
    await request_audit(request).record("search", "retention", f"due within {query.window} days")
    return render(
        request,
        "records.html",
        {
            "counts": counts,
            "window": query.window,
            "due": due,
            "due_total": due_total,
            "page": page,
            "pages": max(1, -(-due_total // PAGE_SIZE)),
            "holds": standing,
            "holds_total": standing_total,
            "certificates": certificates,
            "certificates_total": certificates_total,
            "now": utcnow(),
            "retention_years": request.app.state.settings.retention_years,
        },
        actor=actor,
        errors=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if problems else 200,
    )


@router.get("/records/certificates/{certificate_id}", response_class=HTMLResponse)
async def certificate(certificate_id: str, request: Request, actor: RecordsReader) -> HTMLResponse:
    """One certificate: every store cleared, service by service, and the holds that delayed it."""
    audit = request_audit(request)
    async with session_factory_of(request)() as session:
        row = await session.get(DeletionCertificate, certificate_id)
    if row is None:
        await audit.record("read", "deletion_certificate", certificate_id, outcome="not_found")
        raise PageRefused(f"No deletion certificate has id {certificate_id}.", 404, actor)
    await audit.record("read", "deletion_certificate", certificate_id)
    return render(request, "certificate.html", {"certificate": row}, actor=actor)
