"""Who may call: staff (signed staff assertions from the cases service, which owns roles) and
agencies (their API keys)."""

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from ombuds_referrals.config import Settings
from ombuds_referrals.models import AgencyApiKey, DirectoryEntry
from ombuds_shared.db import utcnow
from ombuds_shared.http import SessionFactoryDep
from ombuds_shared.staff_assertions import InvalidAssertion, load_public_key, verify_assertion

bearer = HTTPBearer(auto_error=False)
KEY_PREFIX = "omb"
# The audience the cases service names in assertions meant for this service.
AUDIENCE = "referrals"
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
# What this service's staff API asks of a caller (the cases service's permission table).
DIRECTORY_MANAGE = "directory.manage"
ROUTING_MANAGE = "routing.manage"
REFERRAL_MANAGE = "referral.manage"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _is_development_token(settings: Settings, token: str) -> bool:
    """The development token counts only where the environment is development or test."""
    return settings.platform.environment in DEVELOPMENT_ENVIRONMENTS and secrets.compare_digest(
        token.encode(), settings.dev_staff_token.encode()
    )


def require_staff(permission: str) -> Callable[..., Awaitable[str]]:
    """A dependency letting through staff whose signed assertion grants `permission`: 401
    without a valid, current assertion, 403 when the role lacks the permission. It answers the
    caller's username ("development" for the development token)."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None:
            raise _unauthorized("A staff assertion from the cases service is required.")
        settings: Settings = request.app.state.settings
        if _is_development_token(settings, credentials.credentials):
            return "development"
        try:
            assertion = verify_assertion(
                credentials.credentials,
                load_public_key(settings.staff_assertion_public_key),
                AUDIENCE,
                utcnow(),
            )
        except InvalidAssertion as error:
            raise _unauthorized(f"The staff assertion is refused: {error}.") from error
        if permission not in assertion.permissions:
            roles = ", ".join(assertion.roles) or "no role"
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"A {roles} may not use {permission}.",
            )
        return assertion.username

    return dependency


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as (key, public prefix, SHA-256 of the key); only the last two are kept."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def require_agency(
    session_factory: SessionFactoryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The directory id of the agency whose key this is; 401 for anything else."""
    refused = _unauthorized("A valid agency API key is required.")
    if credentials is None:
        raise refused
    parts = credentials.credentials.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise refused
    async with session_factory() as session:
        row = (
            await session.execute(
                select(AgencyApiKey.key_sha256, DirectoryEntry.id, DirectoryEntry.disabled)
                .join(DirectoryEntry, DirectoryEntry.id == AgencyApiKey.directory_id)
                .where(AgencyApiKey.prefix == parts[1], AgencyApiKey.revoked_at.is_(None))
            )
        ).first()
    if row is None or row.disabled:
        raise refused
    if not secrets.compare_digest(row.key_sha256, key_digest(credentials.credentials)):
        raise refused
    return str(row.id)


DirectoryStaff = Depends(require_staff(DIRECTORY_MANAGE))
RoutingStaff = Depends(require_staff(ROUTING_MANAGE))
ReferralStaff = Depends(require_staff(REFERRAL_MANAGE))
AgencyDep = Annotated[str, Depends(require_agency)]
