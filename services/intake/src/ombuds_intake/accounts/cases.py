"""The cases an account sees: linked when sent while signed in, or attached with a code
sent to the email on file for the case."""

import enum
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake import repository as submissions
from ombuds_intake.accounts import repository
from ombuds_intake.accounts.models import Account, AccountCase
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.models import Submission
from ombuds_intake.verification.service import Recipient, Redemption, issue, redeem_code
from ombuds_shared.db import UnitOfWork, utcnow

CASES_PER_PAGE = 20


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


def attach_subject(account_id: str, control_number: str) -> str:
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
            subject=attach_subject(account.id, control_number),
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


async def attach_case(
    session: AsyncSession, account_id: str, control_number: str
) -> "AttachOutcome":
    """Put the case in the account (the caller's transaction), unless another account has it."""
    link = await repository.link_of(session, control_number)
    if link is not None:
        return AttachOutcome.ATTACHED if link.account_id == account_id else AttachOutcome.TAKEN
    session.add(
        AccountCase(
            control_number=control_number,
            account_id=account_id,
            linked_by="attached",
            linked_at=utcnow(),
        )
    )
    return AttachOutcome.ATTACHED


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
            subject=attach_subject(account_id, control_number),
            code=code,
            secret=policy.secret,
        )
        outcome = _FROM_REDEMPTION.get(redemption, AttachOutcome.ATTACHED)
        if redemption is Redemption.ACCEPTED:
            outcome = await attach_case(uow.session, account_id, control_number)
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
