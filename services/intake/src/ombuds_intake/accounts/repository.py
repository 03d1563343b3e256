"""Queries over accounts and their cases; no decisions, no commits."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.accounts.models import Account, AccountCase
from ombuds_intake.models import Submission


async def by_id(session: AsyncSession, account_id: str) -> Account | None:
    return await session.get(Account, account_id)


async def by_email(session: AsyncSession, email: str) -> Account | None:
    result: Account | None = await session.scalar(select(Account).where(Account.email == email))
    return result


async def link_of(session: AsyncSession, control_number: str) -> AccountCase | None:
    return await session.get(AccountCase, control_number)


async def count_cases(session: AsyncSession, account_id: str) -> int:
    total = await session.scalar(
        select(func.count()).select_from(AccountCase).where(AccountCase.account_id == account_id)
    )
    return int(total or 0)


async def cases_page(
    session: AsyncSession, account_id: str, offset: int, limit: int
) -> list[Submission]:
    """The account's submissions, most recently updated first."""
    rows = await session.scalars(
        select(Submission)
        .join(AccountCase, AccountCase.control_number == Submission.control_number)
        .where(AccountCase.account_id == account_id)
        .order_by(Submission.status_updated_at.desc(), Submission.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows)
