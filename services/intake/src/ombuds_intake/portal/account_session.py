"""Who is signed in: the account session cookie, read and written for every portal page."""

from fastapi import Request, Response

from ombuds_intake.accounts.models import Account
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.accounts.security import SessionClaims
from ombuds_intake.accounts.service import session_account
from ombuds_shared.http import session_factory_of

SESSION_COOKIE = "ombuds_account"


def account_policy(request: Request) -> AccountPolicy:
    policy: AccountPolicy = request.app.state.account_policy
    return policy


def session_cookie_name(policy: AccountPolicy) -> str:
    # `__Host-`: Secure, host-only, Path=/, so no sibling subdomain can plant a session.
    return f"__Host-{SESSION_COOKIE}" if policy.secure_cookies else SESSION_COOKIE


async def current_account(request: Request) -> Account | None:
    """The signed-in account, or None (no cookie, a bad or old one, or signed out since)."""
    policy = account_policy(request)
    cookie = request.cookies.get(session_cookie_name(policy))
    claims = policy.sessions.loads(cookie) if cookie else None
    if claims is None:
        return None
    async with session_factory_of(request)() as session:
        return await session_account(session, claims)


def start_session(response: Response, policy: AccountPolicy, account: Account) -> None:
    response.set_cookie(
        session_cookie_name(policy),
        policy.sessions.dumps(SessionClaims(account.id, account.session_version)),
        max_age=policy.sessions.max_age_seconds,
        path="/",
        secure=policy.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def end_session(response: Response, policy: AccountPolicy) -> None:
    response.delete_cookie(
        session_cookie_name(policy),
        path="/",
        secure=policy.secure_cookies,
        httponly=True,
        samesite="lax",
    )
