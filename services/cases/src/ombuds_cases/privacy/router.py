"""`/api/v1/privacy`: Privacy Act and FOIA requests, their exports and releases, and
amendment requests; the privacy officer's work only (`privacy.requests`), every step audited."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.crypto.dependencies import FieldKeyringDep
from ombuds_cases.privacy import amendments, export, service
from ombuds_cases.privacy.dependencies import BlindKeyDep
from ombuds_cases.privacy.pdf import export_pdf
from ombuds_cases.privacy.schemas import (
    AmendmentDecision,
    AmendmentRequestView,
    FoundCase,
    NewAmendmentRequest,
    NewPrivacyRequest,
    NewRedaction,
    NewRelease,
    PersonSearch,
    PrivacyRequestView,
    RedactionView,
    ReleaseView,
    RequestPage,
    Selection,
)
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import SessionFactoryDep

PrivacyOfficer = Annotated[StaffActor, Depends(permitted("privacy.requests"))]

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy requests"])


def _ref(request_id: int) -> str:
    return f"privacy-request-{request_id}"


@router.get("/requests", response_model=RequestPage)
async def list_requests(
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> RequestPage:
    """Requests, the soonest due first."""
    async with session_factory() as session:
        return await service.page(session, page)


@router.post("/requests", response_model=PrivacyRequestView, status_code=status.HTTP_201_CREATED)
async def create_request(
    body: NewPrivacyRequest,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> PrivacyRequestView:
    """Record a request, its identity verification and its due date (20 business days)."""
    async with UnitOfWork(session_factory) as uow:
        row = service.create(uow.session, body, actor.email)
        await uow.session.flush()
        await audit.append_in(uow.session, "create", "privacy_request", _ref(row.id))
        await uow.commit()
        return await service.view(uow.session, row)


@router.get("/requests/{request_id}", response_model=PrivacyRequestView)
async def read_request(
    request_id: int, _: PrivacyOfficer, session_factory: SessionFactoryDep, audit: AuditDep
) -> PrivacyRequestView:
    async with session_factory() as session:
        found = await service.view(session, await service.get(session, request_id))
    await audit.record("read", "privacy_request", _ref(request_id))
    return found


@router.post("/requests/{request_id}/search", response_model=list[FoundCase])
async def search_person(
    request_id: int,
    body: PersonSearch,
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    key: BlindKeyDep,
) -> list[FoundCase]:
    """Every case whose subject has all the identifiers given, through the blind index."""
    async with session_factory() as session:
        await service.get(session, request_id)
        found = await service.search(session, key, request_id, body)
    given = [name for name, value in body.model_dump().items() if value is not None]
    await audit.record("search", "privacy_request", _ref(request_id), fields=given)
    return found


@router.post("/requests/{request_id}/cases", response_model=list[str])
async def select_cases(
    request_id: int,
    body: Selection,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> list[str]:
    """Add cases found to be about the requester to the export; returns the selection."""
    async with UnitOfWork(session_factory) as uow:
        await service.get(uow.session, request_id)
        added = await service.select_cases(
            uow.session, request_id, body.control_numbers, actor.email
        )
        if added:
            await audit.append_in(
                uow.session, "update", "privacy_request", _ref(request_id), fields=added
            )
        await uow.commit()
        return await service.selected(uow.session, request_id)


@router.delete("/requests/{request_id}/cases/{control_number}", status_code=204)
async def unselect_case(
    request_id: int,
    control_number: str,
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> Response:
    number = service.canonical("control_number", control_number)
    async with UnitOfWork(session_factory) as uow:
        await service.get(uow.session, request_id)
        await service.unselect(uow.session, request_id, number)
        await audit.append_in(
            uow.session, "update", "privacy_request", _ref(request_id), fields=[number]
        )
        await uow.commit()
    return Response(status_code=204)


@router.post(
    "/requests/{request_id}/redactions",
    response_model=RedactionView,
    status_code=status.HTTP_201_CREATED,
)
async def add_redaction(
    request_id: int,
    body: NewRedaction,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    keyring: FieldKeyringDep,
) -> RedactionView:
    """Withhold third-party information: a whole value, or a span of its text, with a reason."""
    async with UnitOfWork(session_factory) as uow:
        await service.get(uow.session, request_id)
        row = await service.add_redaction(uow.session, keyring, request_id, body, actor.email)
        await audit.append_in(
            uow.session, "create", "redaction", row.control_number, fields=[row.target]
        )
        await uow.commit()
    return service.redaction_view(row)


@router.delete("/requests/{request_id}/redactions/{redaction_id}", status_code=204)
async def remove_redaction(
    request_id: int,
    redaction_id: int,
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> Response:
    async with UnitOfWork(session_factory) as uow:
        row = await service.remove_redaction(uow.session, request_id, redaction_id)
        await audit.append_in(
            uow.session, "delete", "redaction", row.control_number, fields=[row.target]
        )
        await uow.commit()
    return Response(status_code=204)


async def _export(
    request_id: int, session_factory: SessionFactoryDep, keyring: FieldKeyringDep, audit: AuditDep
) -> dict[str, Any]:
    """The export, once each case in it is audited (it shows whole records in clear)."""
    async with session_factory() as session:
        row = await service.get(session, request_id)
        document = await service.build_export(session, keyring, row)
    for case in document["cases"]:
        await audit.record("export", "case", str(case["control_number"]), fields=["privacy_export"])
    return document


@router.get("/requests/{request_id}/export.json")
async def export_json(
    request_id: int,
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
    audit: AuditDep,
) -> Response:
    """The export as it would be released (redactions applied), as JSON."""
    document = await _export(request_id, session_factory, keyring, audit)
    return Response(
        export.as_json(document),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_ref(request_id)}.json"'},
    )


@router.get("/requests/{request_id}/export.pdf")
async def export_as_pdf(
    request_id: int,
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
    audit: AuditDep,
) -> Response:
    """The export as a readable PDF."""
    document = await _export(request_id, session_factory, keyring, audit)
    # fpdf2 is pure Python and CPU-bound: keep it off the event loop.
    body = await asyncio.to_thread(export_pdf, document)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_ref(request_id)}.pdf"'},
    )


@router.post(
    "/requests/{request_id}/release",
    response_model=ReleaseView,
    status_code=status.HTTP_201_CREATED,
)
async def release(
    request_id: int,
    body: NewRelease,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
    audit: AuditDep,
) -> ReleaseView:
    """Hand the export over: accounted as a disclosure and audited as a read of each case."""
    async with UnitOfWork(session_factory) as uow:
        row = await service.get(uow.session, request_id)
        entry, _document = await service.release(
            uow.session, keyring, row, body.method, actor.email
        )
        for number in entry.control_numbers:
            await audit.append_in(uow.session, "read", "case", number, fields=["privacy_release"])
        await audit.append_in(uow.session, "export", "privacy_request", _ref(request_id))
        await uow.commit()
    return ReleaseView(
        id=entry.id,
        control_numbers=list(entry.control_numbers),
        method=entry.method,
        sha256=entry.sha256,
        released_by=entry.released_by,
        released_at=entry.released_at,
    )


@router.get("/amendments", response_model=list[AmendmentRequestView])
async def list_amendments(
    _: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    status_is: Annotated[
        str | None, Query(alias="status", pattern="^(pending|accepted|denied)$")
    ] = None,
) -> list[AmendmentRequestView]:
    async with session_factory() as session:
        return [
            await amendments.view(session, r) for r in await amendments.listed(session, status_is)
        ]


@router.post(
    "/amendments", response_model=AmendmentRequestView, status_code=status.HTTP_201_CREATED
)
async def create_amendment(
    body: NewAmendmentRequest,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
    audit: AuditDep,
) -> AmendmentRequestView:
    """Record a request to correct a record: what, to what, and why."""
    async with UnitOfWork(session_factory) as uow:
        row = await amendments.create(uow.session, keyring, body, actor.email)
        await audit.append_in(
            uow.session, "create", "amendment_request", row.control_number, fields=[row.field]
        )
        await uow.commit()
        return await amendments.view(uow.session, row)


@router.get("/amendments/{amendment_request_id}", response_model=AmendmentRequestView)
async def read_amendment(
    amendment_request_id: int, _: PrivacyOfficer, session_factory: SessionFactoryDep
) -> AmendmentRequestView:
    async with session_factory() as session:
        return await amendments.view(session, await amendments.get(session, amendment_request_id))


@router.post("/amendments/{amendment_request_id}/decision", response_model=AmendmentRequestView)
async def decide_amendment(
    amendment_request_id: int,
    body: AmendmentDecision,
    actor: PrivacyOfficer,
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
    key: BlindKeyDep,
    audit: AuditDep,
) -> AmendmentRequestView:
    """Accept (the correction is appended and earlier recipients told) or deny, with a reason."""
    async with UnitOfWork(session_factory) as uow:
        row = await amendments.get(uow.session, amendment_request_id)
        await amendments.decide(uow.session, keyring, key, row, body, actor.email)
        if body.decision == "accept":
            await audit.append_in(
                uow.session, "update", "case", row.control_number, fields=[row.field]
            )
        else:
            await audit.append_in(
                uow.session, "update", "amendment_request", str(row.id), fields=["status"]
            )
        await uow.commit()
        return await amendments.view(uow.session, row)
