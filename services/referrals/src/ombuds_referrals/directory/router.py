"""`/api/v1/admin/directory`: the directory of offices and agencies, and their API keys."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from ombuds_referrals.auth import DirectoryStaff
from ombuds_referrals.directory import service
from ombuds_referrals.directory.schemas import (
    ApiKeyIssued,
    DirectoryEntryCreate,
    DirectoryEntryUpdate,
    DirectoryEntryView,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(
    prefix="/api/v1/admin/directory", tags=["directory"], dependencies=[DirectoryStaff]
)


@router.get("", response_model=list[DirectoryEntryView])
async def list_entries(
    session_factory: SessionFactoryDep,
    include_disabled: Annotated[bool, Query()] = False,
) -> list[DirectoryEntryView]:
    async with UnitOfWork(session_factory) as uow:
        entries = await service.list_entries(uow.session, include_disabled)
    return [service.view(entry) for entry in entries]


@router.post("", response_model=DirectoryEntryView, status_code=status.HTTP_201_CREATED)
async def create_entry(
    request: DirectoryEntryCreate, session_factory: SessionFactoryDep
) -> DirectoryEntryView:
    async with UnitOfWork(session_factory) as uow:
        entry = await service.create_entry(uow.session, request)
        await uow.commit()
    return service.view(entry)


@router.patch("/{entry_id}", response_model=DirectoryEntryView)
async def update_entry(
    entry_id: str, request: DirectoryEntryUpdate, session_factory: SessionFactoryDep
) -> DirectoryEntryView:
    async with UnitOfWork(session_factory) as uow:
        entry = await service.update_entry(uow.session, entry_id, request)
        await uow.commit()
    return service.view(entry)


@router.post("/{entry_id}/disable", response_model=DirectoryEntryView)
async def disable_entry(entry_id: str, session_factory: SessionFactoryDep) -> DirectoryEntryView:
    """New referrals can no longer go to it, and its API keys stop working."""
    async with UnitOfWork(session_factory) as uow:
        entry = await service.update_entry(
            uow.session, entry_id, DirectoryEntryUpdate(disabled=True)
        )
        await uow.commit()
    return service.view(entry)


@router.post(
    "/{entry_id}/api-keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED
)
async def issue_api_key(entry_id: str, session_factory: SessionFactoryDep) -> ApiKeyIssued:
    """Create or rotate the agency's API key; the key is in this answer only."""
    async with UnitOfWork(session_factory) as uow:
        issued = await service.issue_api_key(uow.session, entry_id, utcnow())
        await uow.commit()
    return issued
