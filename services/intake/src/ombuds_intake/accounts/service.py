"""Account decisions: register, verify the email, sign in and out, follow an emailed link.

No function here commits except through a UnitOfWork, and each stages its verification email
(a `verification.code-issued` event) in the same transaction as the change it belongs to.
"""

import enum
from dataclasses import dataclass
from uuid import uuid4

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.accounts import repository
from ombuds_intake.accounts.cases import AttachOutcome, attach_case
from ombuds_intake.accounts.models import Account
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.accounts.security import SessionClaims
from ombuds_intake.verification.models import VerificationCode
from ombuds_intake.verification.service import (
    Recipient,
    Redemption,
    issue,
    redeem_code,
    redeem_link,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import ServiceError

NAME_MAX = 200
EMAIL_MAX = 320
PASSWORD_MIN = 12
# argon2 takes any length, but a megabyte password is a denial of service, not a password.
PASSWORD_MAX = 256
_EMAIL = TypeAdapter(EmailStr)


@dataclass(frozen=True)
class Problem:
    """One refused field and the rule it broke, for the page to put into words."""

    field: str
    rule: str


class AccountFormError(ServiceError):
    status_code = 422
    code = "invalid_account_form"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.rule}" for p in problems))
        self.problems = problems


class WrongCredentialsError(ServiceError):
    """One answer for an unknown email and a wrong password."""

    status_code = 401
    code = "wrong_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is wrong.")


class LockedOutError(ServiceError):
    status_code = 429
    code = "locked_out"

    def __init__(self) -> None:
        super().__init__("Too many wrong passwords: wait before trying again.")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def registration_problems(name: str, email: str, password: str) -> list[Problem]:
    """Every rule the registration breaks, in form order (name, email, password)."""
    problems = []
    if not name.strip():
        problems.append(Problem("name", "missing"))
    elif len(name.strip()) > NAME_MAX:
        problems.append(Problem("name", "too_long"))
    normalized = normalize_email(email)
    if not normalized:
        problems.append(Problem("email", "missing"))
    else:
        try:
            _EMAIL.validate_python(normalized)
        except ValidationError:
            problems.append(Problem("email", "invalid"))
        if len(normalized) > EMAIL_MAX:
            problems.append(Problem("email", "too_long"))
    if not password:
        problems.append(Problem("password", "missing"))
    elif len(password) < PASSWORD_MIN:
        problems.append(Problem("password", "too_short"))
    elif len(password) > PASSWORD_MAX:
        problems.append(Problem("password", "too_long"))
    elif normalized and password.strip().lower() == normalized:
        problems.append(Problem("password", "is_email"))
    return problems


def _send_verify_email(session: AsyncSession, account: Account, policy: AccountPolicy) -> None:
    issue(
        session,
        purpose="verify_email",
        subject=account.id,
        recipient=Recipient(email=account.email, name=account.name, language=account.language),
        secret=policy.secret,
        link_base=policy.link_base,
    )


async def register(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    *,
    name: str,
    email: str,
    password: str,
    language: str,
) -> Account:
    """Create an unverified account and stage the email with its verification code."""
    problems = registration_problems(name, email, password)
    if problems:
        raise AccountFormError(problems)
    password_hash = await policy.passwords.hash(password)
    taken = AccountFormError([Problem("email", "taken")])
    async with UnitOfWork(session_factory) as uow:
        if await repository.by_email(uow.session, normalize_email(email)) is not None:
            raise taken
        account = Account(
            id=uuid4().hex,
            name=name.strip(),
            email=normalize_email(email),
            password_hash=password_hash,
            language=language,
            email_verified_at=None,
            session_version=1,
            failed_sign_ins=0,
            created_at=utcnow(),
        )
        uow.session.add(account)
        _send_verify_email(uow.session, account, policy)
        try:
            await uow.commit()
        except IntegrityError:
            # Someone registered the same email between our check and our commit.
            raise taken from None
    return account


async def resend_verification(
    session_factory: async_sessionmaker[AsyncSession], policy: AccountPolicy, account_id: str
) -> None:
    """Send a new code (earlier ones stay good until they expire)."""
    async with UnitOfWork(session_factory) as uow:
        account = await repository.by_id(uow.session, account_id)
        if account is None or account.email_verified_at is not None:
            return
        _send_verify_email(uow.session, account, policy)
        await uow.commit()


async def verify_email_code(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    account_id: str,
    code: str,
) -> Redemption:
    """Mark the email verified if `code` is right; a wrong guess is committed so it counts."""
    async with UnitOfWork(session_factory) as uow:
        redemption = await redeem_code(
            uow.session,
            purpose="verify_email",
            subject=account_id,
            code=code,
            secret=policy.secret,
        )
        if redemption is Redemption.ACCEPTED:
            account = await repository.by_id(uow.session, account_id)
            if account is not None and account.email_verified_at is None:
                account.email_verified_at = utcnow()
        await uow.commit()
    return redemption


class LinkOutcome(enum.Enum):
    EMAIL_VERIFIED = "email_verified"
    CASE_ATTACHED = "case_attached"
    CASE_TAKEN = "case_taken"
    # An attach link works only for the account that asked for it, signed in.
    SIGN_IN_NEEDED = "sign_in_needed"
    UNAVAILABLE = "unavailable"


async def redeem_account_link(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    verification_id: str,
    token: str,
    signed_in_account_id: str | None,
) -> LinkOutcome:
    """Follow an emailed link: verify the account's email, or attach the case it names."""
    async with UnitOfWork(session_factory) as uow:
        pending = await uow.session.get(VerificationCode, verification_id)
        if pending is None or pending.purpose not in ("verify_email", "attach_case"):
            return LinkOutcome.UNAVAILABLE
        account_id, _, control_number = pending.subject.partition(":")
        if pending.purpose == "attach_case" and account_id != signed_in_account_id:
            # Whoever holds the case's email must not hand it to a stranger's account by
            # one click: the link works only in the session of the account that asked.
            return LinkOutcome.SIGN_IN_NEEDED
        verification = await redeem_link(
            uow.session, verification_id=verification_id, token=token, secret=policy.secret
        )
        if verification is None:
            return LinkOutcome.UNAVAILABLE
        if verification.purpose == "verify_email":
            account = await repository.by_id(uow.session, account_id)
            if account is None:
                return LinkOutcome.UNAVAILABLE
            account.email_verified_at = account.email_verified_at or utcnow()
            outcome = LinkOutcome.EMAIL_VERIFIED
        else:
            attached = await attach_case(uow.session, account_id, control_number)
            outcome = (
                LinkOutcome.CASE_ATTACHED
                if attached is AttachOutcome.ATTACHED
                else LinkOutcome.CASE_TAKEN
            )
        try:
            await uow.commit()
        except IntegrityError:
            return LinkOutcome.CASE_TAKEN
    return outcome


async def sign_in(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    *,
    email: str,
    password: str,
    client: str,
) -> Account:
    """The account, if the password is right and neither it nor the client is locked out.

    Rehashes the password when the argon2 parameters have changed since it was set.
    """
    if policy.client_failures.locked(client):
        raise LockedOutError()
    async with UnitOfWork(session_factory) as uow:
        account = await repository.by_email(uow.session, normalize_email(email))
        if account is None:
            await policy.passwords.spend_time(password)
            policy.client_failures.record(client)
            raise WrongCredentialsError()
        now = utcnow()
        if account.locked_until is not None and account.locked_until > now:
            raise LockedOutError()
        if not await policy.passwords.verify(account.password_hash, password):
            policy.client_failures.record(client)
            account.failed_sign_ins += 1
            locked = account.failed_sign_ins >= policy.max_failures
            if locked:
                account.failed_sign_ins = 0
                account.locked_until = now + policy.lockout
            await uow.commit()
            raise LockedOutError() if locked else WrongCredentialsError()
        account.failed_sign_ins = 0
        account.locked_until = None
        if policy.passwords.needs_rehash(account.password_hash):
            account.password_hash = await policy.passwords.hash(password)
        await uow.commit()
    return account


async def sign_out(session_factory: async_sessionmaker[AsyncSession], account_id: str) -> None:
    """End every session of the account: each carries the version this raises."""
    async with UnitOfWork(session_factory) as uow:
        account = await repository.by_id(uow.session, account_id)
        if account is not None:
            account.session_version += 1
            await uow.commit()


async def session_account(session: AsyncSession, claims: SessionClaims) -> Account | None:
    """The account a session cookie names, unless it was signed out since."""
    account = await repository.by_id(session, claims.account_id)
    if account is None or account.session_version != claims.version:
        return None
    return account
