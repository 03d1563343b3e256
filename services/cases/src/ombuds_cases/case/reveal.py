"""`POST /api/v1/cases/{control_number}/reveal`: masked identity values in clear, audited.

Only roles holding `case.reveal_identity`, within their office, see the values. Every attempt
is audited with action `reveal` and the fields asked for: success, denied or not found.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import (
    UNIDENTIFIED,
    Actor,
    Outcome,
    RequestAudit,
    audit_writer,
    client_address,
)
from ombuds_cases.crypto.dependencies import FieldKeyringDep
from ombuds_cases.crypto.identity import IDENTITY_SECTION, SENSITIVE_FIELDS, revealed_value
from ombuds_cases.crypto.keyring import FieldDecryptError
from ombuds_cases.crypto.keys import cipher_for
from ombuds_cases.router import ControlNumberPath, canonical_control_number
from ombuds_cases.service import CaseNotFoundError
from ombuds_cases.staff.auth import authorize, bearer, current_staff, require, signed_in
from ombuds_shared.http import ServiceError, SessionFactoryDep

REVEAL = "case.reveal_identity"
may_reveal = require(REVEAL)

router = APIRouter(prefix="/api/v1/cases/{control_number}", tags=["case actions"])


class IdentityDestroyedError(ServiceError):
    status_code = 410
    code = "identity_destroyed"


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1, max_length=len(SENSITIVE_FIELDS))

    @field_validator("fields")
    @classmethod
    def _only_masked_fields(cls, fields: list[str]) -> list[str]:
        unknown = sorted(set(fields) - SENSITIVE_FIELDS)
        if unknown:
            raise ValueError(
                f"only masked fields can be revealed ({', '.join(sorted(SENSITIVE_FIELDS))}); "
                f"not {', '.join(unknown)}"
            )
        return sorted(set(fields))


class RevealedFields(BaseModel):
    control_number: str
    # The clear value of each field asked for; null when the submitter gave none.
    values: dict[str, Any]


def _audit(request: Request, actor: Actor) -> RequestAudit:
    # The staff sign-in may name the actor on the request; otherwise the session's account.
    named: Actor = getattr(request.state, "actor", actor)
    return RequestAudit(audit_writer(request), named, client_address(request))


@router.post("/reveal", response_model=RevealedFields)
async def reveal(
    control_number: ControlNumberPath,
    body: RevealRequest,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session_factory: SessionFactoryDep,
    keyring: FieldKeyringDep,
) -> RevealedFields:
    """The clear values of masked identity fields, for roles that may reveal them."""
    canonical = canonical_control_number(control_number)
    audit = _audit(request, UNIDENTIFIED)

    async def record(outcome: Outcome) -> None:
        await audit.record("reveal", "case", canonical, body.fields, outcome=outcome)

    try:
        actor = await current_staff(await signed_in(request, credentials))
        audit = _audit(request, Actor(actor.email, actor.role.value))
        await may_reveal(actor)
    except (HTTPException, ServiceError):
        await record("denied")
        raise
    async with session_factory() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None:
            await record("not_found")
            raise CaseNotFoundError(canonical)
        try:
            authorize(actor, REVEAL, case.office)
        except ServiceError:
            await record("denied")
            raise
        identity = (case.details or {}).get(IDENTITY_SECTION) or {}
        try:
            cipher = await cipher_for(session, keyring, canonical)
            values = {
                field: revealed_value(
                    cipher, field, identity.get(field.removeprefix(f"{IDENTITY_SECTION}."))
                )
                for field in body.fields
            }
        except FieldDecryptError as error:
            await record("error")
            raise IdentityDestroyedError(
                "The identity values of this case can no longer be read (its data key was "
                "destroyed or is not configured)."
            ) from error
    await record("success")
    return RevealedFields(control_number=canonical, values=values)
