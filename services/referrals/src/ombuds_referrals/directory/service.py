"""The directory of offices and agencies: create, change, disable, issue API keys."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_referrals.auth import new_api_key
from ombuds_referrals.directory.schemas import (
    ApiKeyIssued,
    DirectoryEntryCreate,
    DirectoryEntryUpdate,
    DirectoryEntryView,
)
from ombuds_referrals.models import AgencyApiKey, DirectoryEntry
from ombuds_shared.contracts import CHANNEL_EMAIL, CHANNEL_KAFKA, CHANNEL_WEBHOOK
from ombuds_shared.db import utcnow
from ombuds_shared.http import ConflictError, NotFoundError, ServiceError


class EntryNotFoundError(NotFoundError):
    pass


class InvalidChannelsError(ServiceError):
    status_code = 422
    code = "invalid_channels"


class InvalidFieldError(ServiceError):
    status_code = 422
    code = "invalid_field"


def channels_of(entry: DirectoryEntry) -> list[str]:
    channels = []
    if entry.kafka_enabled:
        channels.append(CHANNEL_KAFKA)
    if entry.webhook_url:
        channels.append(CHANNEL_WEBHOOK)
    if entry.email:
        channels.append(CHANNEL_EMAIL)
    return channels


def view(entry: DirectoryEntry) -> DirectoryEntryView:
    return DirectoryEntryView(
        id=entry.id,
        kind=entry.kind,
        name=entry.name,
        postal_address=entry.postal_address,
        kafka_enabled=entry.kafka_enabled,
        webhook_url=entry.webhook_url,
        webhook_secret_set=entry.webhook_secret is not None,
        email=entry.email,
        channels=channels_of(entry),
        acknowledgement_business_days=entry.acknowledgement_business_days,
        response_business_days=entry.response_business_days,
        disabled=entry.disabled,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _check_channels(entry: DirectoryEntry) -> None:
    if entry.webhook_url and not entry.webhook_secret:
        raise InvalidChannelsError("webhook_secret: a webhook needs a secret to sign with")
    if not (entry.kafka_enabled or entry.webhook_url):
        # Email is recorded but not delivered yet, so it cannot be the only channel.
        raise InvalidChannelsError("channels: enable Kafka or give a webhook_url (or both)")


async def get_entry(session: AsyncSession, entry_id: str) -> DirectoryEntry:
    entry = await session.get(DirectoryEntry, entry_id)
    if entry is None:
        raise EntryNotFoundError(f"No directory entry {entry_id!r}.")
    return entry


async def list_entries(session: AsyncSession, include_disabled: bool) -> list[DirectoryEntry]:
    statement = select(DirectoryEntry).order_by(DirectoryEntry.kind, DirectoryEntry.name)
    if not include_disabled:
        statement = statement.where(DirectoryEntry.disabled.is_(False))
    return list((await session.scalars(statement)).all())


async def create_entry(session: AsyncSession, request: DirectoryEntryCreate) -> DirectoryEntry:
    if await session.get(DirectoryEntry, request.id) is not None:
        raise ConflictError(f"A directory entry {request.id!r} exists already.")
    values = request.model_dump(mode="json")
    entry = DirectoryEntry(**values, disabled=False, created_at=utcnow(), updated_at=utcnow())
    _check_channels(entry)
    session.add(entry)
    return entry


async def update_entry(
    session: AsyncSession, entry_id: str, request: DirectoryEntryUpdate
) -> DirectoryEntry:
    entry = await get_entry(session, entry_id)
    for name, value in request.model_dump(mode="json", exclude_unset=True).items():
        if value is None and name not in _NULLABLE:
            raise InvalidFieldError(f"{name}: may not be null")
        setattr(entry, name, value)
    _check_channels(entry)
    entry.updated_at = utcnow()
    return entry


_NULLABLE = frozenset({"webhook_url", "webhook_secret", "email"})


async def issue_api_key(session: AsyncSession, entry_id: str, now: datetime) -> ApiKeyIssued:
    """A new key for the entry; any earlier key stops working (rotation)."""
    await get_entry(session, entry_id)
    await session.execute(
        update(AgencyApiKey)
        .where(AgencyApiKey.directory_id == entry_id, AgencyApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    key, prefix, digest = new_api_key()
    session.add(
        AgencyApiKey(directory_id=entry_id, prefix=prefix, key_sha256=digest, created_at=now)
    )
    return ApiKeyIssued(directory_id=entry_id, prefix=prefix, api_key=key, created_at=now)
