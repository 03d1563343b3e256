"""Sign-in and sessions: who may work today, password + TOTP, lockout, sign-out."""

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.staff import credentials, repository
from ombuds_cases.staff.errors import (
    AccountBlockedError,
    OidcSignInRefusedError,
    SignInRefusedError,
    StaffRuleError,
)
from ombuds_cases.staff.models import StaffAccount, StaffSession
from ombuds_cases.staff.oidc import Identity
from ombuds_cases.staff.policy import Office, Role, StaffActor

# PIA 8.2: the course is annual; an attestation older than this blocks the account.
TRAINING_VALID_DAYS = 365
# Five wrong passwords or codes in a row lock the account for a quarter of an hour: a
# six-digit code cannot be guessed at machine speed.
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)


def actor_of(account: StaffAccount) -> StaffActor:
    office = Office(account.office) if account.office else None
    return StaffActor(account.id, account.email, account.name, Role(account.role), office)


def blocked_reason(account: StaffAccount, latest_training: date | None, today: date) -> str | None:
    """Why this account may not work today (PIA 8.2, 8.3), or None when it may."""
    if not account.active:
        return "This account has been deactivated."
    if today > account.expires_on:
        return (
            f"This account expired on {account.expires_on.isoformat()}; "
            "a supervisor or administrator must extend it."
        )
    if latest_training is None:
        return (
            "No privacy-training attestation is recorded for this account: access starts "
            "only after the privacy awareness course is attested."
        )
    if (today - latest_training).days > TRAINING_VALID_DAYS:
        return (
            f"The latest privacy-training attestation ({latest_training.isoformat()}) is more "
            "than a year old: the course must be taken again and attested."
        )
    return None


async def sign_in(
    session: AsyncSession,
    email: str,
    password: str,
    code: str,
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, StaffSession, StaffAccount]:
    """Check email, password and TOTP code; open a session. Returns the token (shown once)."""
    # Locked: a failure count and a used code step must not be lost to a racing attempt.
    account = await repository.by_email(session, email.lower(), for_update=True)
    password_ok = credentials.password_matches(account.password_hash if account else None, password)
    if account is None:
        raise SignInRefusedError
    if account.locked_until is not None and account.locked_until > now:
        # Same answer as a wrong guess: a guesser cannot tell that they tripped the lock.
        raise SignInRefusedError
    step = (
        credentials.totp_step(account.totp_secret, code, now)
        if password_ok and account.totp_secret is not None
        else None
    )
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        account.failed_sign_ins += 1
        if account.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            account.failed_sign_ins = 0
            account.locked_until = now + LOCKOUT
        raise SignInRefusedError
    account.totp_last_step = step
    account.failed_sign_ins = 0
    account.locked_until = None
    latest = await repository.latest_attestation(session, account.id)
    reason = blocked_reason(account, latest.completed_on if latest else None, now.date())
    if reason is not None:
        raise AccountBlockedError(reason)
    return _open_session(session, account, now, lifetime)


# Said of every identity that opens no account, so the answer tells nothing about which exist.
NOT_LINKED = (
    "This sign-in is not linked to a staff account. Ask your supervisor or an administrator "
    "to designate one for your verified email address."
)


async def _account_of(session: AsyncSession, identity: Identity) -> StaffAccount | None:
    """The account pinned to the subject, else (first time) the one with its verified email."""
    pinned = await repository.by_oidc_subject(session, identity.subject)
    if pinned is not None:
        return pinned
    if identity.email is None or not identity.email_verified:
        return None
    account = await repository.by_email(session, identity.email, for_update=True)
    # Pinned to another subject: the email moved to someone else at the provider.
    if account is None or account.oidc_subject is not None:
        return None
    return account


async def sign_in_oidc(
    session: AsyncSession, identity: Identity, now: datetime, lifetime: timedelta
) -> tuple[str, StaffSession, StaffAccount]:
    """Open a session for an existing, working account that a verified ID token names.

    It never creates an account or changes a role: designation, expiry, deactivation and the
    privacy-training block apply exactly as to password + TOTP.
    """
    account = await _account_of(session, identity)
    if account is None:
        raise OidcSignInRefusedError(NOT_LINKED)
    latest = await repository.latest_attestation(session, account.id)
    reason = blocked_reason(account, latest.completed_on if latest else None, now.date())
    if reason is not None:
        raise AccountBlockedError(reason)
    if account.oidc_subject is None:
        account.oidc_subject = identity.subject
        account.updated_at = now
    return _open_session(session, account, now, lifetime)


def _open_session(
    session: AsyncSession, account: StaffAccount, now: datetime, lifetime: timedelta
) -> tuple[str, StaffSession, StaffAccount]:
    token = credentials.new_session_token()
    staff_session = StaffSession(
        token_hash=credentials.token_hash(token),
        staff_id=account.id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(staff_session)
    return token, staff_session, account


async def sign_out(session: AsyncSession, token_hash: str, now: datetime) -> None:
    found = await repository.live_session(session, token_hash, now)
    if found is not None:
        found[0].revoked_at = now


async def change_password(
    session: AsyncSession, staff_id: str, current: str, new: str, now: datetime
) -> None:
    account = await repository.by_id(session, staff_id)
    if account is None or not credentials.password_matches(account.password_hash, current):
        raise StaffRuleError("current_password", "mismatch", "current_password is not right")
    if new == current:
        raise StaffRuleError("new_password", "unchanged", "new_password must differ from the old")
    account.password_hash = credentials.hash_password(new)
    account.password_must_change = False
    account.updated_at = now
