"""Account decisions: register, verify the email, sign in and out, see and attach cases.

No function here commits except through a UnitOfWork, and each stages its verification email
(a `verification.code-issued` event) in the same transaction as the change it belongs to.
"""

import enum
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from argon2 import PasswordHasher
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from ombuds_intake import repository as submissions
from ombuds_intake.accounts import repository
from ombuds_intake.accounts.models import Account, AccountCase
from ombuds_intake.accounts.security import ClientFailures, Passwords, SessionClaims, SessionCodec
from ombuds_intake.config import Settings
from ombuds_intake.models import Submission
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
from ombuds_shared.ratelimit import RateLimit, _bucket_owner

NAME_MAX = 200
EMAIL_MAX = 320
PASSWORD_MIN = 12
# argon2 takes any length, but a megabyte password is a denial of service, not a password.
PASSWORD_MAX = 256
CASES_PER_PAGE = 20
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


@dataclass
class AccountPolicy:
    """What the account functions need from the settings, built once per app."""

    passwords: Passwords
    sessions: SessionCodec
    client_failures: ClientFailures
    secret: str
    link_base: str
    max_failures: int
    lockout: timedelta
    secure_cookies: bool
    # Resolves the client behind trusted proxies exactly as the rate limit does.
    addresses: RateLimit

    def client_of(self, scope: Scope) -> str:
        """Who a request counts as for the per-client lockout (an IPv6 client by its /64)."""
        return _bucket_owner(self.addresses.client_address(scope))

    @classmethod
    def from_settings(cls, settings: Settings) -> "AccountPolicy":
        secret = settings.verification_secret.get_secret_value()
        hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        return cls(
            passwords=Passwords(hasher),
            sessions=SessionCodec(secret, settings.account_session_seconds),
            client_failures=ClientFailures(
                settings.sign_in_client_max_failures, settings.sign_in_lockout_seconds
            ),
            secret=secret,
            link_base=f"{settings.public_url.rstrip('/')}/account",
            max_failures=settings.sign_in_max_failures,
            lockout=timedelta(seconds=settings.sign_in_lockout_seconds),
            secure_cookies=settings.public_url.startswith("https://"),
            addresses=RateLimit(_never_called, rules=(), trusted_proxies=settings.trusted_proxies),
        )


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("only RateLimit.client_address is used here")


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
            outcome = await _attach(uow.session, account_id, control_number)
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


def link_new_submission(session: AsyncSession, account_id: str, control_number: str) -> None:
    """Show a submission sent while signed in in that account (the caller's transaction)."""
    session.add(
        AccountCase(
            control_number=control_number,
            account_id=account_id,
            linked_by="portal",
            linked_at=utcnow(),
        )
    )


def _attach_subject(account_id: str, control_number: str) -> str:
    return f"{account_id}:{control_number}"


async def request_attach(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    account: Account,
    control_number: str,
) -> None:
    """Email a code to the address on file for the submission, if there is one.

    Says nothing back either way, so the answer never reveals whether a number exists.
    """
    async with UnitOfWork(session_factory) as uow:
        submission = await submissions.by_control_number(uow.session, control_number)
        if submission is None or submission.anonymous or not submission.contact_email:
            return
        contact = submission.original.get("contact") or {}
        issue(
            uow.session,
            purpose="attach_case",
            subject=_attach_subject(account.id, control_number),
            recipient=Recipient(
                email=submission.contact_email,
                name=contact.get("first_name") if isinstance(contact, dict) else None,
                language=submission.language,
            ),
            secret=policy.secret,
            link_base=policy.link_base,
            control_number=control_number,
        )
        await uow.commit()


class AttachOutcome(enum.Enum):
    ATTACHED = "attached"
    TAKEN = "taken"
    WRONG = "wrong"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


_FROM_REDEMPTION = {
    Redemption.WRONG: AttachOutcome.WRONG,
    Redemption.LOCKED: AttachOutcome.LOCKED,
    Redemption.UNAVAILABLE: AttachOutcome.UNAVAILABLE,
}


async def _attach(session: AsyncSession, account_id: str, control_number: str) -> LinkOutcome:
    link = await repository.link_of(session, control_number)
    if link is not None:
        return (
            LinkOutcome.CASE_ATTACHED if link.account_id == account_id else LinkOutcome.CASE_TAKEN
        )
    session.add(
        AccountCase(
            control_number=control_number,
            account_id=account_id,
            linked_by="attached",
            linked_at=utcnow(),
        )
    )
    return LinkOutcome.CASE_ATTACHED


async def attach_with_code(
    session_factory: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    account_id: str,
    control_number: str,
    code: str,
) -> AttachOutcome:
    """Attach the case if `code` is the one sent to its email; a wrong guess still counts."""
    async with UnitOfWork(session_factory) as uow:
        redemption = await redeem_code(
            uow.session,
            purpose="attach_case",
            subject=_attach_subject(account_id, control_number),
            code=code,
            secret=policy.secret,
        )
        outcome = _FROM_REDEMPTION.get(redemption, AttachOutcome.ATTACHED)
        if redemption is Redemption.ACCEPTED:
            linked = await _attach(uow.session, account_id, control_number)
            if linked is LinkOutcome.CASE_TAKEN:
                outcome = AttachOutcome.TAKEN
        try:
            await uow.commit()
        except IntegrityError:
            return AttachOutcome.TAKEN
    return outcome


@dataclass(frozen=True)
class CasesPage:
    items: list[Submission]
    page: int
    pages: int
    total: int


async def own_cases(session: AsyncSession, account_id: str, page: int) -> CasesPage:
    """One page of the account's cases, most recently updated first."""
    total = await repository.count_cases(session, account_id)
    pages = max(1, -(-total // CASES_PER_PAGE))
    page = min(max(page, 1), pages)
    items = await repository.cases_page(
        session, account_id, (page - 1) * CASES_PER_PAGE, CASES_PER_PAGE
    )
    return CasesPage(items, page, pages, total)
