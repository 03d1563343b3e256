"""FastAPI dependencies: who is calling (`CurrentStaff`) and whether they may (`require`)."""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ombuds_cases.audit.dependencies import (
    DEVELOPMENT_STAFF,
    UNIDENTIFIED,
    Action,
    Actor,
    record_denied,
)
from ombuds_cases.staff import repository
from ombuds_cases.staff.credentials import token_hash
from ombuds_cases.staff.errors import ForbiddenError
from ombuds_cases.staff.policy import PERMISSIONS, Role, StaffActor, can, holds
from ombuds_cases.staff.signin import actor_of, blocked_reason
from ombuds_shared.db import utcnow
from ombuds_shared.http import ServiceError, session_factory_of

SESSION_COOKIE = "ombuds_staff_session"
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEVELOPMENT_ACTOR = StaffActor(
    staff_id="development",
    email="development@localhost",
    name="Development token",
    role=Role.ADMINISTRATOR,
    office=None,
    is_development=True,
)

bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class SignedIn:
    """A valid session (or the development token), whether or not the account may work now."""

    actor: StaffActor
    token_hash: str | None
    blocked_reason: str | None
    password_must_change: bool


def _cookie_may_not_change(request: Request) -> bool:
    """CSRF: a browser attaches the cookie on its own, so the JSON API takes it for reads only.

    A bearer header is something no other site can make a browser send; the staff UI's own
    form posts (outside /api/) use the cookie with a CSRF token from `ombuds_shared.forms`.
    """
    return request.method not in SAFE_METHODS and request.url.path.startswith("/api/")


def _unauthenticated(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> SignedIn:
    """The session behind the bearer token or the session cookie; 401 when there is none."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthenticated("Sign in first: a staff session is required.")
    if credentials is None and _cookie_may_not_change(request):
        raise ForbiddenError(
            "Changes through the API need the session token in the Authorization header."
        )
    settings = request.app.state.settings
    if secrets.compare_digest(token.encode(), settings.dev_staff_token.encode()):
        if settings.platform.environment in DEVELOPMENT_ENVIRONMENTS:
            return SignedIn(DEVELOPMENT_ACTOR, None, None, False)
        raise _unauthenticated("The development token is refused in production.")
    now = utcnow()
    hashed = token_hash(token)
    async with session_factory_of(request)() as session:
        found = await repository.live_session(session, hashed, now)
        if found is None or not found[1].active:
            raise _unauthenticated("The session has ended or is not valid: sign in again.")
        account = found[1]
        latest = await repository.latest_attestation(session, account.id)
    reason = blocked_reason(account, latest.completed_on if latest else None, now.date())
    return SignedIn(actor_of(account), hashed, reason, account.password_must_change)


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def current_staff(signed: SignedInDep) -> StaffActor:
    """The calling staff member, refused with 403 and the reason when the account is blocked."""
    if signed.blocked_reason is not None:
        raise ForbiddenError(signed.blocked_reason)
    if signed.password_must_change:
        raise ForbiddenError(
            "Replace the one-time password first (POST /api/v1/staff/me/password)."
        )
    return signed.actor


CurrentStaff = Annotated[StaffActor, Depends(current_staff)]


def audit_actor(actor: StaffActor) -> Actor:
    """How the audit trail names a staff member: their email (unique, never reused) and role."""
    if actor.is_development:
        return DEVELOPMENT_STAFF
    return Actor(actor.email, actor.role.value)


async def _refused_audited(
    request: Request, actor: StaffActor | None, action: Action | None = None
) -> None:
    """Record a refused request as `denied`, naming the caller when they are known."""
    await record_denied(request, audit_actor(actor) if actor is not None else UNIDENTIFIED, action)


def require(permission: str) -> Callable[[StaffActor], Awaitable[StaffActor]]:
    """A dependency that lets through only actors whose role holds `permission` (else 403).

    Office scope needs the case: after loading it, call `authorize(actor, permission, office)`.
    The JSON API uses `permitted`, which also audits; the staff pages wrap this one.
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    async def dependency(actor: CurrentStaff) -> StaffActor:
        if not holds(actor, permission):
            raise ForbiddenError(f"A {actor.role.value} may not use {permission}.")
        return actor

    return dependency


def permitted(
    permission: str, audit_action: Action | None = None
) -> Callable[..., Awaitable[StaffActor]]:
    """`require(permission)` for the JSON API, audited: it names the caller to the audit trail
    (`request.state.actor`) and records every refusal (401 or 403) as `denied` (under
    `audit_action`, else the action the HTTP method implies).

    Put it before `AuditDep` in an endpoint's parameters, so the audit names the caller.
    """
    allowed = require(permission)

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> StaffActor:
        # Called directly rather than as sub-dependencies, so a 401 is caught and audited too.
        actor: StaffActor | None = None
        try:
            signed = await signed_in(request, credentials)
            actor = signed.actor
            await allowed(await current_staff(signed))
        except (HTTPException, ServiceError):
            await _refused_audited(request, actor, audit_action)
            raise
        request.state.actor = audit_actor(actor)
        return actor

    return dependency


def authorize(actor: StaffActor, permission: str, case_office: str | None) -> None:
    """Raise 403 unless the actor may use `permission` on a case of `case_office`."""
    if not holds(actor, permission):
        raise ForbiddenError(f"A {actor.role.value} may not use {permission}.")
    if not can(actor, permission, case_office):
        where = f"the {case_office} office" if case_office else "no office yet"
        raise ForbiddenError(f"This case belongs to {where}, outside your office ({actor.office}).")
