"""The staff accounts API: sign in and out, and designating and managing accounts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from ombuds_cases.audit.dependencies import Actor, AuditDep
from ombuds_cases.staff import assertions, errors, repository, service, signin
from ombuds_cases.staff.auth import (
    SESSION_COOKIE,
    CurrentStaff,
    SignedInDep,
    permitted,
)
from ombuds_cases.staff.models import StaffAccount
from ombuds_cases.staff.policy import PERMISSIONS, Office, Role, StaffActor, holds
from ombuds_cases.staff.schemas import (
    AssertionIssued,
    AssertionRequest,
    Me,
    NewStaffRequest,
    PasswordChange,
    SessionOpened,
    SignIn,
    StaffChangeRequest,
    StaffCreated,
    StaffPage,
    StaffView,
    TotpEnrolled,
    TrainingRequest,
    TrainingView,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])

# `permitted` names the caller to the audit trail, which records every account change.
StaffReader = Annotated[StaffActor, Depends(permitted("staff.read"))]
StaffManager = Annotated[StaffActor, Depends(permitted("staff.manage"))]
TrainingAttester = Annotated[StaffActor, Depends(permitted("training.attest"))]


def _view(account: StaffAccount) -> StaffView:
    return StaffView(
        id=account.id,
        email=account.email,
        name=account.name,
        role=Role(account.role),
        office=Office(account.office) if account.office else None,
        expires_on=account.expires_on,
        active=account.active,
        totp_enrolled=account.totp_secret is not None,
        password_must_change=account.password_must_change,
        designated_by=account.designated_by,
        locked_until=account.locked_until,
        created_at=account.created_at,
        deactivated_at=account.deactivated_at,
    )


@asynccontextmanager
async def _rules_as_validation() -> AsyncIterator[None]:
    """A staff rule broken by a field answers 422 in the same shape as any invalid field."""
    try:
        yield
    except errors.StaffRuleError as error:
        raise RequestValidationError(
            [{"loc": ("body", error.field), "type": error.rule, "msg": error.message}]
        ) from error


@router.post("/session", response_model=SessionOpened, status_code=status.HTTP_201_CREATED)
async def sign_in(
    body: SignIn,
    request: Request,
    response: Response,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> SessionOpened:
    """Sign in with email, password and the current TOTP code; opens a server-side session.
    Every attempt is audited, a refused one under the email it claimed."""
    settings = request.app.state.settings
    claimed = audit.naming(Actor(str(body.email).lower(), "unverified"))
    async with UnitOfWork(session_factory) as uow:
        try:
            token, opened, account = await signin.sign_in(
                uow.session,
                str(body.email),
                body.password,
                body.code,
                utcnow(),
                timedelta(hours=settings.staff_session_hours),
            )
        except (errors.AccountBlockedError, errors.SignInRefusedError):
            # Keep what the attempt taught: a failure counted, or a right code now used up.
            await claimed.append_in(uow.session, "create", "staff_session", "", outcome="denied")
            await uow.commit()
            raise
        signed_in_as = audit.naming(Actor(account.email, account.role))
        await signed_in_as.append_in(uow.session, "create", "staff_session", account.id)
        await uow.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.staff_session_hours * 3600,
        httponly=True,
        secure=settings.platform.environment != "development",
        samesite="strict",
        path="/",
    )
    return SessionOpened(token=token, expires_at=opened.expires_at, staff=_view(account))


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    signed: SignedInDep, response: Response, session_factory: SessionFactoryDep
) -> None:
    """End this session at once (a blocked account may still sign out)."""
    if signed.token_hash is not None:
        async with UnitOfWork(session_factory) as uow:
            await signin.sign_out(uow.session, signed.token_hash, utcnow())
            await uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


@router.get("/me", response_model=Me)
async def me(signed: SignedInDep, session_factory: SessionFactoryDep) -> Me:
    """Who is signed in, what they may do, and why they are blocked if they are."""
    actor = signed.actor
    permissions = sorted(name for name in PERMISSIONS if holds(actor, name))
    if actor.is_development:
        return Me(
            id=actor.staff_id,
            email=actor.email,
            name=actor.name,
            role=actor.role,
            office=None,
            expires_on=utcnow().date(),
            active=True,
            totp_enrolled=False,
            password_must_change=False,
            designated_by=None,
            locked_until=None,
            created_at=utcnow(),
            deactivated_at=None,
            blocked_reason=None,
            permissions=permissions,
        )
    async with session_factory() as session:
        account = await repository.by_id(session, actor.staff_id)
    assert account is not None
    return Me(
        **_view(account).model_dump(),
        blocked_reason=signed.blocked_reason,
        permissions=[] if signed.blocked_reason else permissions,
    )


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange, signed: SignedInDep, session_factory: SessionFactoryDep, audit: AuditDep
) -> None:
    """Replace one's own password (the one-time password first of all)."""
    if signed.actor.is_development:
        raise errors.ForbiddenError("The development token has no password.")
    async with _rules_as_validation(), UnitOfWork(session_factory) as uow:
        await signin.change_password(
            uow.session, signed.actor.staff_id, body.current_password, body.new_password, utcnow()
        )
        own = audit.naming(Actor(signed.actor.email, signed.actor.role.value))
        await own.append_in(uow.session, "update", "staff", signed.actor.staff_id, ["password"])
        await uow.commit()


@router.post("/me/assertion", response_model=AssertionIssued, status_code=status.HTTP_201_CREATED)
async def issue_assertion(
    body: AssertionRequest, actor: CurrentStaff, request: Request
) -> AssertionIssued:
    """A short-lived signed token naming the caller's role, permissions and office, for the
    referrals service's staff API (it verifies it with the public key alone)."""
    settings = request.app.state.settings
    now = utcnow()
    lifetime = timedelta(minutes=settings.staff_assertion_minutes)
    token = assertions.issue(
        settings.staff_assertion_key.get_secret_value(), actor, body.audience, now, lifetime
    )
    return AssertionIssued(assertion=token, audience=body.audience, expires_at=now + lifetime)


@router.get("", response_model=StaffPage)
async def list_staff(
    actor: StaffReader,
    session_factory: SessionFactoryDep,
    office: Office | None = None,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StaffPage:
    """Staff accounts by name; a supervisor of an office sees that office's accounts only."""
    if actor.role == Role.SUPERVISOR and actor.office is not None and not actor.is_development:
        if office is not None and office != actor.office:
            raise errors.ForbiddenError("A supervisor sees only their own office's accounts.")
        office = actor.office
    async with session_factory() as session:
        accounts, total = await repository.page(
            session,
            office.value if office else None,
            role.value if role else None,
            limit,
            offset,
        )
    return StaffPage(
        items=[_view(account) for account in accounts], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=StaffCreated, status_code=status.HTTP_201_CREATED)
async def create_staff(
    body: NewStaffRequest, actor: StaffManager, session_factory: SessionFactoryDep, audit: AuditDep
) -> StaffCreated:
    """Designate a staff account; its one-time password is in this answer only."""
    new = service.NewStaff(str(body.email), body.name, body.role, body.office, body.expires_on)
    async with _rules_as_validation(), UnitOfWork(session_factory) as uow:
        account, password = await service.create_staff(uow.session, actor, new, utcnow())
        fields = sorted(body.model_fields_set)
        await audit.append_in(uow.session, "create", "staff", account.id, fields)
        await uow.commit()
    return StaffCreated(staff=_view(account), one_time_password=password)


@router.get("/{staff_id}", response_model=StaffView)
async def show_staff(
    staff_id: str, actor: StaffReader, session_factory: SessionFactoryDep
) -> StaffView:
    """One staff account."""
    async with session_factory() as session:
        account = await service.visible_account(session, actor, staff_id)
    return _view(account)


@router.patch("/{staff_id}", response_model=StaffView)
async def change_staff(
    staff_id: str,
    body: StaffChangeRequest,
    actor: StaffManager,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> StaffView:
    """Change an account's role, office or expiry date."""
    changes = service.StaffChanges(
        role=body.role,
        office=body.office,
        office_given="office" in body.model_fields_set,
        expires_on=body.expires_on,
    )
    async with _rules_as_validation(), UnitOfWork(session_factory) as uow:
        account = await service.update_staff(uow.session, actor, staff_id, changes, utcnow())
        fields = sorted(body.model_fields_set)
        await audit.append_in(uow.session, "update", "staff", account.id, fields)
        await uow.commit()
    return _view(account)


@router.post("/{staff_id}/deactivate", response_model=StaffView)
async def deactivate_staff(
    staff_id: str, actor: StaffManager, session_factory: SessionFactoryDep, audit: AuditDep
) -> StaffView:
    """Deactivate an account; its open sessions are refused from the next request."""
    async with UnitOfWork(session_factory) as uow:
        account = await service.deactivate(uow.session, actor, staff_id, utcnow())
        await audit.append_in(uow.session, "update", "staff", account.id, ["active"])
        await uow.commit()
    return _view(account)


@router.post(
    "/{staff_id}/training", response_model=TrainingView, status_code=status.HTTP_201_CREATED
)
async def record_training(
    staff_id: str,
    body: TrainingRequest,
    actor: TrainingAttester,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> TrainingView:
    """Record a privacy-training attestation: who attests, the course and when it was done."""
    async with _rules_as_validation(), UnitOfWork(session_factory) as uow:
        attestation = await service.record_training(
            uow.session, actor, staff_id, body.course, body.completed_on, utcnow()
        )
        fields = ["course", "completed_on"]
        await audit.append_in(uow.session, "create", "staff_training", staff_id, fields)
        await uow.commit()
    return TrainingView.model_validate(attestation)


@router.post("/{staff_id}/totp", response_model=TotpEnrolled, status_code=status.HTTP_201_CREATED)
async def enrol_totp(
    staff_id: str,
    request: Request,
    actor: StaffManager,
    session_factory: SessionFactoryDep,
    audit: AuditDep,
) -> TotpEnrolled:
    """Enrol (or replace) the account's TOTP second factor; the URI is in this answer only."""
    issuer: str = request.app.state.settings.staff_totp_issuer
    async with UnitOfWork(session_factory) as uow:
        uri = await service.enrol_totp(uow.session, actor, staff_id, issuer, utcnow())
        await audit.append_in(uow.session, "update", "staff", staff_id, ["totp_secret"])
        await uow.commit()
    return TotpEnrolled(otpauth_uri=uri)
