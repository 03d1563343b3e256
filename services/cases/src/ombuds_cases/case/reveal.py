"""`POST /api/v1/cases/{control_number}/reveal`: masked identity values in clear, audited.

Only roles holding `case.reveal_identity`, within their office, see the values. Every attempt
is audited with action `reveal` and the fields asked for: success, denied or not found.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import AuditDep, Outcome
from ombuds_cases.case.records import Amendment
from ombuds_cases.crypto.dependencies import FieldKeyringDep
from ombuds_cases.crypto.identity import (
    IDENTITY_SECTION,
    SENSITIVE_FIELDS,
    is_sensitive,
    revealed_value,
)
from ombuds_cases.crypto.keyring import FieldDecryptError
from ombuds_cases.crypto.keys import CaseCipher, cipher_for
from ombuds_cases.models import Case
from ombuds_cases.router import ControlNumberPath, canonical_control_number, out_of_scope
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor, can
from ombuds_shared.http import ServiceError, SessionFactoryDep

REVEAL = "case.reveal_identity"

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["case actions"])


# A side of an amendment that corrected a masked field: `amendments.<id>.previous_value`.
AMENDMENT_VALUE = re.compile(r"^amendments\.([A-Za-z0-9_-]{1,64})\.(previous_value|new_value)$")
MAX_FIELDS = 40


class IdentityDestroyedError(ServiceError):
    status_code = 410
    code = "identity_destroyed"


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1, max_length=MAX_FIELDS)

    @field_validator("fields")
    @classmethod
    def _only_masked_fields(cls, fields: list[str]) -> list[str]:
        unknown = sorted(
            field
            for field in set(fields)
            if field not in SENSITIVE_FIELDS and not AMENDMENT_VALUE.match(field)
        )
        if unknown:
            raise ValueError(
                f"only masked fields can be revealed ({', '.join(sorted(SENSITIVE_FIELDS))}, "
                f"or amendments.<amendment id>.previous_value|new_value); "
                f"not {', '.join(unknown)}"
            )
        return sorted(set(fields))


class RevealedFields(BaseModel):
    control_number: str
    # The clear value of each field asked for; null when the submitter gave none.
    values: dict[str, Any]


async def clear_values(
    session: AsyncSession, case: Case, cipher: CaseCipher | None, fields: list[str]
) -> dict[str, Any]:
    """Each field's clear value; None for a value not given or an amendment not of this case."""
    identity = (case.details or {}).get(IDENTITY_SECTION) or {}
    wanted = {m.group(1) for field in fields if (m := AMENDMENT_VALUE.match(field))}
    amendments: dict[str, Amendment] = {}
    if wanted:
        found = await session.scalars(
            select(Amendment).where(
                Amendment.case_id == case.id, Amendment.amendment_id.in_(wanted)
            )
        )
        amendments = {a.amendment_id: a for a in found if is_sensitive(a.field)}
    values: dict[str, Any] = {}
    for field in fields:
        matched = AMENDMENT_VALUE.match(field)
        if matched is None:
            stored = identity.get(field.removeprefix(f"{IDENTITY_SECTION}."))
            values[field] = revealed_value(cipher, field, stored)
            continue
        amendment = amendments.get(matched.group(1))
        stored = getattr(amendment, matched.group(2)) if amendment else None
        values[field] = revealed_value(cipher, amendment.field, stored) if amendment else None
    return values


Revealer = Annotated[StaffActor, Depends(permitted(REVEAL, audit_action="reveal"))]


@router.post("/reveal", response_model=RevealedFields)
async def reveal(
    control_number: ControlNumberPath,
    actor: Revealer,  # first: it names the caller to the audit (and audits a refusal)
    body: RevealRequest,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    keyring: FieldKeyringDep,
) -> RevealedFields:
    """The clear values of masked identity fields, for roles that may reveal them; a case
    outside the caller's office answers 404 like a missing one."""
    canonical = canonical_control_number(control_number)

    async def record(outcome: Outcome) -> None:
        await audit.record("reveal", "case", canonical, body.fields, outcome=outcome)

    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await record("not_found")
            raise CaseNotFoundError(canonical)
        if not can(actor, REVEAL, case.office):
            await record("denied")
            raise out_of_scope(canonical)
        try:
            cipher = await cipher_for(session, keyring, canonical)
            values = await clear_values(session, case, cipher, body.fields)
        except FieldDecryptError as error:
            await record("error")
            raise IdentityDestroyedError(
                "The identity values of this case can no longer be read (its data key was "
                "destroyed or is not configured)."
            ) from error
    await record("success")
    return RevealedFields(control_number=canonical, values=values)
