"""Who may call: staff (a bearer token until roles arrive) and agencies (their API keys)."""

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from ombuds_referrals.models import AgencyApiKey, DirectoryEntry
from ombuds_shared.http import SessionFactoryDep

bearer = HTTPBearer(auto_error=False)
KEY_PREFIX = "omb"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def require_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    expected: str = request.app.state.settings.dev_staff_token
    if credentials is None or not secrets.compare_digest(credentials.credentials, expected):
        raise _unauthorized("A staff bearer token is required.")


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


StaffDep = Depends(require_staff)
AgencyDep = Annotated[str, Depends(require_agency)]
