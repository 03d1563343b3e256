"""The accounting of disclosures: per case (`/api/v1/cases/{n}/disclosures`, where staff
also record a share they made by hand) and per person (`/api/v1/disclosures`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import EmailStr

from ombuds_cases.audit.dependencies import AuditDep
from ombuds_cases.disclosures import service
from ombuds_cases.disclosures.schemas import DisclosureView, ManualDisclosure
from ombuds_cases.privacy import blind_index
from ombuds_cases.privacy.dependencies import BlindKeyDep
from ombuds_cases.router import ControlNumberPath, canonical_control_number
from ombuds_cases.staff.auth import require
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import SessionFactoryDep

# Recording and reading the accounting are both the records and privacy officers' work
# (answering a subject's request for the accounting, 552a(c)(3)).
RecordsOfficer = Annotated[StaffActor, Depends(require("disclosure.record"))]

router = APIRouter(tags=["disclosures"])


@router.post(
    "/api/v1/cases/{control_number}/disclosures",
    response_model=DisclosureView,
    status_code=status.HTTP_201_CREATED,
)
async def record_disclosure(
    control_number: ControlNumberPath,
    body: ManualDisclosure,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    actor: RecordsOfficer,
) -> DisclosureView:
    """A share outside DHS made by phone, email, mail, fax or in person."""
    canonical = canonical_control_number(control_number)
    async with UnitOfWork(session_factory) as uow:
        row = await service.record_manual(uow.session, canonical, body, actor.email)
        await audit.append_in(uow.session, "create", "disclosure", canonical)
        await uow.commit()
    return service.view(row)


@router.get("/api/v1/cases/{control_number}/disclosures", response_model=list[DisclosureView])
async def case_disclosures(
    control_number: ControlNumberPath,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    _: RecordsOfficer,
) -> list[DisclosureView]:
    """Every disclosure of this case's record, oldest first (also after the case is purged)."""
    canonical = canonical_control_number(control_number)
    async with session_factory() as session:
        rows = await service.for_case(session, canonical)
    await audit.record("read", "disclosure", canonical)
    return [service.view(row) for row in rows]


@router.get("/api/v1/disclosures", response_model=list[DisclosureView])
async def person_disclosures(
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    key: BlindKeyDep,
    _: RecordsOfficer,
    email: Annotated[EmailStr | None, Query()] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=201)] = None,
) -> list[DisclosureView]:
    """Every disclosure about one person, by their email or their full name."""
    if email is None and name is None:
        raise HTTPException(status_code=422, detail="email or name: one is required to search by")
    async with session_factory() as session:
        rows = await service.for_person(session, email, name)
    await audit.record("search", "disclosure", searched_for(key, email, name), fields=("subject",))
    return [service.view(row) for row in rows]


def searched_for(key: bytes, email: str | None, name: str | None) -> str:
    """The audit's record id for a search by person: the term and its blind-index digest.

    The audit trail is append-only and outlives every purge, so it must never hold the
    email or name searched for; the keyed digest still lets an auditor with the key tell
    which person was looked up (the same digest the blind index stores).
    """
    term: blind_index.Term = "email" if email is not None else "name"
    hashed = blind_index.digest(key, term, email if email is not None else name or "")
    return f"{term}:{hashed or ''}"
