"""Accounts on real PostgreSQL and SQLite: registration rules, email verification, sign-in with
lockouts and rehashing, sessions, own cases with their resolution, attaching a phone case."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import ombuds_intake.accounts.models
import ombuds_intake.attachments.models
import ombuds_intake.verification.models  # noqa: F401  (the whole schema, for the comparison)
from ombuds_intake import repository as submission_repository
from ombuds_intake import service
from ombuds_intake.accounts import cases
from ombuds_intake.accounts import service as accounts
from ombuds_intake.accounts.models import Account
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.accounts.security import SessionClaims
from ombuds_intake.attachments.service import AttachmentLimits
from ombuds_intake.config import Settings
from ombuds_intake.forms.paths import validate_submission
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import Base, Submission
from ombuds_intake.verification.service import Redemption
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.events import (
    CASE_STATUS_CHANGED_V1,
    CaseStatusChangedV1,
    make_event,
)
from ombuds_shared.migrations import upgrade_to_head
from support.accounts import FAST_HASHING, STRONG_PASSWORD, latest_code, phone_entry, wrong_code

pytestmark = pytest.mark.integration

LIMITS = AttachmentLimits(max_bytes=1024, max_count=5)


@pytest.fixture(scope="module")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def make_policy(**changes: object) -> AccountPolicy:
    return AccountPolicy.from_settings(Settings(**{**FAST_HASHING, **changes}))


@pytest.fixture
def policy() -> AccountPolicy:
    return make_policy()


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}.{uuid4().hex[:10]}@example.org"


async def register(
    sessions: async_sessionmaker[AsyncSession],
    policy: AccountPolicy,
    email: str | None = None,
    password: str = STRONG_PASSWORD,
) -> Account:
    return await accounts.register(
        sessions,
        policy,
        name="Ana Ruiz",
        email=email or unique_email(),
        password=password,
        language="en",
    )


async def verified_account(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> Account:
    account = await register(sessions, policy)
    issued = await latest_code(sessions, "verify_email", account.email)
    redemption = await accounts.verify_email_code(sessions, policy, account.id, issued.code)
    assert redemption is Redemption.ACCEPTED
    return account


async def staff_phone_case(sessions: async_sessionmaker[AsyncSession], email: str) -> Submission:
    validated = validate_submission(phone_entry(email), audience="staff")
    submission, created = await service.accept_submission(sessions, validated, None, None, LIMITS)
    assert created
    return submission


async def reload(sessions: async_sessionmaker[AsyncSession], account_id: str) -> Account:
    async with sessions() as session:
        account = await session.get(Account, account_id)
    assert account is not None
    return account


# Registration rules (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "email", "password", "expected"),
    [
        ("Ana", "ana@example.org", "short", [("password", "too_short")]),
        ("Ana", "ana@example.org", "x" * 257, [("password", "too_long")]),
        ("Ana", "Long.Address@Example.org", "long.address@example.org", [("password", "is_email")]),
        ("", "ana@example.org", STRONG_PASSWORD, [("name", "missing")]),
        ("Ana", "not-an-email", STRONG_PASSWORD, [("email", "invalid")]),
        ("", "", "", [("name", "missing"), ("email", "missing"), ("password", "missing")]),
        ("Ana", "ana@example.org", STRONG_PASSWORD, []),
    ],
)
def test_each_registration_rule_names_its_field(
    name: str, email: str, password: str, expected: list[tuple[str, str]]
) -> None:
    problems = accounts.registration_problems(name, email, password)
    assert [(p.field, p.rule) for p in problems] == expected


# Registration and verification --------------------------------------------------------------


async def test_registering_stores_an_argon2_hash_and_emails_a_code(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    email = unique_email("New.Person")
    account = await register(sessions, policy, email=email.upper())
    stored = await reload(sessions, account.id)
    assert stored.email == email.lower()
    assert stored.password_hash.startswith("$argon2id$")
    assert STRONG_PASSWORD not in stored.password_hash
    assert stored.email_verified_at is None
    issued = await latest_code(sessions, "verify_email", email.lower())
    assert len(issued.code) == 6
    assert issued.link is not None
    assert issued.link.startswith(f"http://127.0.0.1:8000/account/verify/{issued.verification_id}")


async def test_an_email_registers_once_whatever_its_case(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    email = unique_email()
    await register(sessions, policy, email=email)
    with pytest.raises(accounts.AccountFormError) as refused:
        await register(sessions, policy, email=f"  {email.upper()} ")
    assert [(p.field, p.rule) for p in refused.value.problems] == [("email", "taken")]


async def test_the_email_code_verifies_and_a_wrong_one_does_not(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await register(sessions, policy)
    issued = await latest_code(sessions, "verify_email", account.email)
    wrong = await accounts.verify_email_code(sessions, policy, account.id, wrong_code(issued.code))
    assert wrong is Redemption.WRONG
    assert (await reload(sessions, account.id)).email_verified_at is None
    right = await accounts.verify_email_code(sessions, policy, account.id, issued.code)
    assert right is Redemption.ACCEPTED
    assert (await reload(sessions, account.id)).email_verified_at is not None


async def test_the_email_link_verifies_once(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await register(sessions, policy)
    issued = await latest_code(sessions, "verify_email", account.email)
    assert issued.link is not None
    token = issued.link.split("token=")[1]
    outcome = await accounts.redeem_account_link(
        sessions, policy, issued.verification_id, token, None
    )
    assert outcome is accounts.LinkOutcome.EMAIL_VERIFIED
    assert (await reload(sessions, account.id)).email_verified_at is not None
    again = await accounts.redeem_account_link(
        sessions, policy, issued.verification_id, token, None
    )
    assert again is accounts.LinkOutcome.UNAVAILABLE


# Sign-in ------------------------------------------------------------------------------------


async def test_sign_in_gives_one_answer_for_a_wrong_password_and_an_unknown_email(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await register(sessions, policy)
    with pytest.raises(accounts.WrongCredentialsError) as wrong_password:
        await accounts.sign_in(
            sessions, policy, email=account.email, password="not the password", client="a"
        )
    with pytest.raises(accounts.WrongCredentialsError) as unknown:
        await accounts.sign_in(
            sessions, policy, email=unique_email(), password=STRONG_PASSWORD, client="a"
        )
    assert wrong_password.value.message == unknown.value.message
    signed_in = await accounts.sign_in(
        sessions, policy, email=account.email.upper(), password=STRONG_PASSWORD, client="a"
    )
    assert signed_in.id == account.id


async def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    policy = make_policy(sign_in_max_failures=3)
    account = await register(sessions, policy)
    for attempt in range(3):
        expected = accounts.LockedOutError if attempt == 2 else accounts.WrongCredentialsError
        with pytest.raises(expected):
            await accounts.sign_in(
                sessions,
                policy,
                email=account.email,
                password="wrong password!",
                client=f"c{attempt}",
            )
    with pytest.raises(accounts.LockedOutError):
        await accounts.sign_in(
            sessions, policy, email=account.email, password=STRONG_PASSWORD, client="other"
        )
    locked_until = (await reload(sessions, account.id)).locked_until
    assert locked_until is not None
    assert locked_until > datetime.now(UTC)


async def test_a_client_with_many_wrong_passwords_waits_whatever_the_email(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    policy = make_policy(sign_in_client_max_failures=3, sign_in_max_failures=100)
    account = await register(sessions, policy)
    for _ in range(3):
        with pytest.raises(accounts.WrongCredentialsError):
            await accounts.sign_in(
                sessions, policy, email=unique_email(), password="guess guess guess", client="bot"
            )
    with pytest.raises(accounts.LockedOutError):
        await accounts.sign_in(
            sessions, policy, email=account.email, password=STRONG_PASSWORD, client="bot"
        )
    # Another client is not held back by the first one's guessing.
    signed_in = await accounts.sign_in(
        sessions, policy, email=account.email, password=STRONG_PASSWORD, client="person"
    )
    assert signed_in.id == account.id


async def test_sign_in_rehashes_when_the_argon2_parameters_change(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await register(sessions, policy)
    before = (await reload(sessions, account.id)).password_hash
    assert "t=1," in before
    stronger = make_policy(password_time_cost=2)
    await accounts.sign_in(
        sessions, stronger, email=account.email, password=STRONG_PASSWORD, client="a"
    )
    after = (await reload(sessions, account.id)).password_hash
    assert after != before
    assert "t=2," in after
    assert not stronger.passwords.needs_rehash(after)
    # The new hash still proves the same password.
    await accounts.sign_in(
        sessions, stronger, email=account.email, password=STRONG_PASSWORD, client="a"
    )


async def test_sign_out_ends_every_session_of_the_account(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await register(sessions, policy)
    claims = SessionClaims(account.id, account.session_version)
    cookie = policy.sessions.dumps(claims)
    assert policy.sessions.loads(cookie) == claims
    assert policy.sessions.loads(cookie[:-2] + "xx") is None
    async with sessions() as session:
        assert await accounts.session_account(session, claims) is not None
    await accounts.sign_out(sessions, account.id)
    async with sessions() as session:
        assert await accounts.session_account(session, claims) is None


# Own cases ----------------------------------------------------------------------------------


async def test_a_submission_sent_while_signed_in_is_in_the_account_with_its_resolution(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await verified_account(sessions, policy)
    async with sessions() as session:
        empty = await cases.own_cases(session, account.id, 1)
    assert (empty.items, empty.total, empty.pages) == ([], 0, 1)
    body = phone_entry(account.email)
    del body["channel"], body["information_confirmed"], body["call"]
    body |= {"privacy_act_acknowledged": True, "accuracy_certified": True}
    submission, _ = await service.accept_submission(
        sessions, validate_submission(body), None, "127.0.0.1", LIMITS, account.id
    )
    changed = CaseStatusChangedV1(
        control_number=submission.control_number,
        from_status="received",
        to_status="closed",
        reason="Officer counselled; apology sent.",
        changed_at=datetime.now(UTC),
    )
    event = make_event("ombuds/cases", CASE_STATUS_CHANGED_V1, changed, submission.control_number)
    await service.apply_case_event(sessions, event)
    async with sessions() as session:
        listing = await cases.own_cases(session, account.id, 1)
    assert [s.control_number for s in listing.items] == [submission.control_number]
    assert listing.items[0].status == "closed"
    assert listing.items[0].resolution == "Officer counselled; apology sent."

    # Reopened, the case has no resolution until it closes again.
    reopened = changed.model_copy(
        update={"from_status": "closed", "to_status": "triage", "reason": "Reopened on appeal."}
    )
    await service.apply_case_event(
        sessions,
        make_event("ombuds/cases", CASE_STATUS_CHANGED_V1, reopened, submission.control_number),
    )
    async with sessions() as session:
        again = await cases.own_cases(session, account.id, 1)
    assert (again.items[0].status, again.items[0].resolution) == ("triage", None)


async def test_cases_come_in_pages(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await verified_account(sessions, policy)
    validated = validate_submission(phone_entry(account.email), audience="staff")
    numbers = []
    for _ in range(cases.CASES_PER_PAGE + 1):
        submission, _ = await service.accept_submission(
            sessions, validated, None, None, LIMITS, account.id
        )
        numbers.append(submission.control_number)
    async with sessions() as session:
        first = await cases.own_cases(session, account.id, 1)
        second = await cases.own_cases(session, account.id, 2)
        beyond = await cases.own_cases(session, account.id, 99)
    assert (first.total, first.pages, len(first.items)) == (len(numbers), 2, 20)
    assert len(second.items) == 1
    assert beyond.page == 2
    shown = {s.control_number for s in first.items + second.items}
    assert shown == set(numbers)


# Attaching a phone case ---------------------------------------------------------------------


async def test_the_attach_code_goes_to_the_email_on_file_not_the_accounts(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await verified_account(sessions, policy)
    on_file = unique_email("caller")
    case = await staff_phone_case(sessions, on_file)
    await cases.request_attach(sessions, policy, account, case.control_number)
    issued = await latest_code(sessions, "attach_case", on_file)
    assert issued.control_number == case.control_number
    with pytest.raises(AssertionError):
        await latest_code(sessions, "attach_case", account.email)

    wrong = await cases.attach_with_code(
        sessions, policy, account.id, case.control_number, wrong_code(issued.code)
    )
    assert wrong is cases.AttachOutcome.WRONG
    right = await cases.attach_with_code(
        sessions, policy, account.id, case.control_number, issued.code
    )
    assert right is cases.AttachOutcome.ATTACHED
    async with sessions() as session:
        listing = await cases.own_cases(session, account.id, 1)
    assert [s.control_number for s in listing.items] == [case.control_number]


async def test_an_unknown_number_sends_nothing(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await verified_account(sessions, policy)
    case = await staff_phone_case(sessions, unique_email())
    async with sessions() as session:
        await session.delete(
            await submission_repository.by_control_number(session, case.control_number)
        )
        await session.commit()
    await cases.request_attach(sessions, policy, account, case.control_number)
    outcome = await cases.attach_with_code(
        sessions, policy, account.id, case.control_number, "123456"
    )
    assert outcome is cases.AttachOutcome.UNAVAILABLE


async def test_a_case_in_another_account_is_refused(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    owner = await verified_account(sessions, policy)
    other = await verified_account(sessions, policy)
    on_file = unique_email("shared")
    case = await staff_phone_case(sessions, on_file)
    await cases.request_attach(sessions, policy, owner, case.control_number)
    first = await latest_code(sessions, "attach_case", on_file)
    assert (
        await cases.attach_with_code(sessions, policy, owner.id, case.control_number, first.code)
        is cases.AttachOutcome.ATTACHED
    )
    await cases.request_attach(sessions, policy, other, case.control_number)
    second = await latest_code(sessions, "attach_case", on_file)
    refused = await cases.attach_with_code(
        sessions, policy, other.id, case.control_number, second.code
    )
    assert refused is cases.AttachOutcome.TAKEN
    async with sessions() as session:
        assert (await cases.own_cases(session, other.id, 1)).items == []
        assert len((await cases.own_cases(session, owner.id, 1)).items) == 1


async def test_an_attach_link_works_only_in_the_session_of_the_account_that_asked(
    sessions: async_sessionmaker[AsyncSession], policy: AccountPolicy
) -> None:
    account = await verified_account(sessions, policy)
    stranger = await verified_account(sessions, policy)
    on_file = unique_email("linked")
    case = await staff_phone_case(sessions, on_file)
    await cases.request_attach(sessions, policy, account, case.control_number)
    issued = await latest_code(sessions, "attach_case", on_file)
    assert issued.link is not None
    token = issued.link.split("token=")[1]
    for signed_in in (None, stranger.id):
        outcome = await accounts.redeem_account_link(
            sessions, policy, issued.verification_id, token, signed_in
        )
        assert outcome is accounts.LinkOutcome.SIGN_IN_NEEDED
    outcome = await accounts.redeem_account_link(
        sessions, policy, issued.verification_id, token, account.id
    )
    assert outcome is accounts.LinkOutcome.CASE_ATTACHED
    async with sessions() as session:
        assert len((await cases.own_cases(session, account.id, 1)).items) == 1


def _compare(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_the_migration_matches_the_models(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        connection = await session.connection()
        assert await connection.run_sync(_compare) == []
