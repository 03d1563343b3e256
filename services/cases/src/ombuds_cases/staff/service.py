"""Account decisions: designate, change, deactivate, attest training, enrol TOTP, bootstrap."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.staff import credentials, repository
from ombuds_cases.staff.errors import (
    EmailTakenError,
    ForbiddenError,
    StaffNotFoundError,
    StaffRuleError,
)
from ombuds_cases.staff.models import StaffAccount, TrainingAttestation
from ombuds_cases.staff.policy import (
    Office,
    Role,
    StaffActor,
    holds,
    may_designate,
    office_rule_broken,
)

DEFAULT_COURSE = "General Privacy Awareness Course"


@dataclass(frozen=True)
class NewStaff:
    email: str
    name: str
    role: Role
    office: Office | None
    expires_on: date


@dataclass(frozen=True)
class StaffChanges:
    role: Role | None = None
    office: Office | None = None
    # The office is nullable, so "leave it" and "clear it" differ.
    office_given: bool = False
    expires_on: date | None = None


def _check_pair(role: Role, office: Office | None) -> None:
    broken = office_rule_broken(role, office)
    if broken is not None:
        raise StaffRuleError("office", "office_for_role", broken)


def _check_expiry(expires_on: date, today: date) -> None:
    if expires_on < today:
        raise StaffRuleError("expires_on", "not_in_past", "expires_on must be today or later")


def may_see(actor: StaffActor, account: StaffAccount) -> bool:
    """Whether the actor may read this account: supervisors see their own office only."""
    if not holds(actor, "staff.read"):
        return False
    if actor.role == Role.SUPERVISOR and not actor.is_development and actor.office is not None:
        return account.office == actor.office
    return True


def _check_manageable(actor: StaffActor, account: StaffAccount) -> None:
    if account.id == actor.staff_id:
        raise ForbiddenError("No one may change their own account's role, office or status.")
    office = Office(account.office) if account.office else None
    if not (holds(actor, "staff.manage") and may_designate(actor, Role(account.role), office)):
        raise ForbiddenError(
            f"A {actor.role.value} may not manage a {account.role} account"
            + (f" of {account.office}." if account.office else ".")
        )


async def visible_account(session: AsyncSession, actor: StaffActor, staff_id: str) -> StaffAccount:
    account = await repository.by_id(session, staff_id)
    if account is None:
        raise StaffNotFoundError(staff_id)
    if not may_see(actor, account):
        raise ForbiddenError("This staff account belongs to another office.")
    return account


async def create_staff(
    session: AsyncSession, actor: StaffActor, new: NewStaff, now: datetime
) -> tuple[StaffAccount, str]:
    """Designate an account; returns it with its one-time password (shown once)."""
    _check_pair(new.role, new.office)
    _check_expiry(new.expires_on, now.date())
    if not may_designate(actor, new.role, new.office):
        where = f" in {new.office.value}" if new.office else " without an office"
        raise ForbiddenError(f"A {actor.role.value} may not designate a {new.role.value}{where}.")
    email = new.email.lower()
    if await repository.by_email(session, email) is not None:
        raise EmailTakenError(email)
    password = credentials.one_time_password()
    account = StaffAccount(
        id=uuid.uuid4().hex,
        email=email,
        name=new.name,
        role=new.role.value,
        office=new.office.value if new.office else None,
        expires_on=new.expires_on,
        active=True,
        password_hash=credentials.hash_password(password),
        password_must_change=True,
        designated_by=actor.staff_id,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    return account, password


async def update_staff(
    session: AsyncSession, actor: StaffActor, staff_id: str, changes: StaffChanges, now: datetime
) -> StaffAccount:
    """Change role, office or expiry; the new pair must also be one the actor may designate."""
    account = await visible_account(session, actor, staff_id)
    _check_manageable(actor, account)
    role = changes.role or Role(account.role)
    current_office = Office(account.office) if account.office else None
    office = changes.office if changes.office_given else current_office
    _check_pair(role, office)
    if not may_designate(actor, role, office):
        raise ForbiddenError(f"A {actor.role.value} may not make this account a {role.value}.")
    if changes.expires_on is not None:
        _check_expiry(changes.expires_on, now.date())
        account.expires_on = changes.expires_on
    account.role = role.value
    account.office = office.value if office else None
    account.updated_at = now
    return account


async def deactivate(
    session: AsyncSession, actor: StaffActor, staff_id: str, now: datetime
) -> StaffAccount:
    """Deactivate at once: every open session of the account is revoked in the same commit."""
    account = await visible_account(session, actor, staff_id)
    _check_manageable(actor, account)
    if account.active:
        account.active = False
        account.deactivated_at = now
        account.deactivated_by = actor.staff_id
        account.updated_at = now
        await repository.revoke_sessions(session, account.id, now)
    return account


async def record_training(
    session: AsyncSession,
    actor: StaffActor,
    staff_id: str,
    course: str,
    completed_on: date,
    now: datetime,
) -> TrainingAttestation:
    """Record that the account's holder completed the privacy course on `completed_on`."""
    account = await visible_account(session, actor, staff_id)
    if account.id == actor.staff_id:
        raise ForbiddenError("No one may attest their own privacy training.")
    # Whoever may designate an account attests its training; no one else.
    office = Office(account.office) if account.office else None
    if not (holds(actor, "training.attest") and may_designate(actor, Role(account.role), office)):
        raise ForbiddenError(
            f"A {actor.role.value} may not attest the training of a {account.role}."
        )
    if completed_on > now.date():
        raise StaffRuleError(
            "completed_on", "not_in_future", "completed_on cannot be in the future"
        )
    attestation = TrainingAttestation(
        staff_id=account.id,
        course=course,
        completed_on=completed_on,
        attested_by=actor.staff_id,
        attested_at=now,
    )
    session.add(attestation)
    return attestation


async def enrol_totp(
    session: AsyncSession, actor: StaffActor, staff_id: str, issuer: str, now: datetime
) -> str:
    """A new TOTP secret for the account (replacing any old one); its URI is shown only now."""
    account = await visible_account(session, actor, staff_id)
    _check_manageable(actor, account)
    secret = credentials.new_totp_secret()
    account.totp_secret = secret
    account.totp_last_step = None
    account.updated_at = now
    # A new second factor ends the sessions opened with the old one.
    await repository.revoke_sessions(session, account.id, now)
    return credentials.totp_uri(secret, account.email, issuer)


async def bootstrap_administrator(
    session: AsyncSession,
    email: str,
    name: str,
    expires_on: date,
    trained_on: date,
    issuer: str,
    now: datetime,
) -> tuple[StaffAccount, str, str]:
    """The first administrator, with password, TOTP and training: there is no one to designate."""
    email = email.lower()
    if await repository.by_email(session, email) is not None:
        raise EmailTakenError(email)
    password = credentials.one_time_password()
    secret = credentials.new_totp_secret()
    account = StaffAccount(
        id=uuid.uuid4().hex,
        email=email,
        name=name,
        role=Role.ADMINISTRATOR.value,
        office=None,
        expires_on=expires_on,
        active=True,
        password_hash=credentials.hash_password(password),
        password_must_change=True,
        totp_secret=secret,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.add(
        TrainingAttestation(
            staff_id=account.id,
            course=DEFAULT_COURSE,
            completed_on=trained_on,
            attested_by=account.id,
            attested_at=now,
        )
    )
    return account, password, credentials.totp_uri(secret, email, issuer)
