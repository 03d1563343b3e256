"""Saved views: create, list, read, delete; each staff member sees only their own."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.queue.models import SavedView
from ombuds_cases.queue.schemas import CreateView, QueueQuery, SavedViewOut
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import ConflictError, NotFoundError


class ViewNotFoundError(NotFoundError):
    def __init__(self, view_id: int) -> None:
        # Someone else's view is "not found" too: its existence is not the caller's business.
        super().__init__(f"You have no saved view {view_id}.")


class ViewNameTakenError(ConflictError):
    def __init__(self, name: str) -> None:
        super().__init__(f"You already have a saved view named {name!r}.")


def view_out(view: SavedView) -> SavedViewOut:
    query = QueueQuery.model_validate(view.query)
    return SavedViewOut(
        id=view.id,
        name=view.name,
        query=query,
        query_string=query.as_query_string(),
        created_at=view.created_at,
    )


async def _owned(session: AsyncSession, owner_id: str, view_id: int) -> SavedView:
    view = await session.scalar(
        select(SavedView).where(SavedView.id == view_id, SavedView.owner_id == owner_id)
    )
    if view is None:
        raise ViewNotFoundError(view_id)
    return view


async def create_view(
    session_factory: async_sessionmaker[AsyncSession], owner_id: str, request: CreateView
) -> SavedViewOut:
    """Save a named queue query for its owner; a name is unique per owner."""
    view = SavedView(
        owner_id=owner_id,
        name=request.name,
        query=request.query.model_dump(mode="json", exclude_none=True),
        created_at=utcnow(),
    )
    try:
        async with UnitOfWork(session_factory) as uow:
            uow.session.add(view)
            await uow.commit()
    except IntegrityError as error:
        raise ViewNameTakenError(request.name) from error
    return view_out(view)


async def list_views(
    session_factory: async_sessionmaker[AsyncSession], owner_id: str
) -> list[SavedViewOut]:
    """The owner's saved views, by name."""
    async with session_factory() as session:
        views = await session.scalars(
            select(SavedView).where(SavedView.owner_id == owner_id).order_by(SavedView.name)
        )
        return [view_out(view) for view in views.all()]


async def read_view(
    session_factory: async_sessionmaker[AsyncSession], owner_id: str, view_id: int
) -> SavedViewOut:
    """One of the owner's saved views."""
    async with session_factory() as session:
        return view_out(await _owned(session, owner_id, view_id))


async def delete_view(
    session_factory: async_sessionmaker[AsyncSession], owner_id: str, view_id: int
) -> None:
    """Delete one of the owner's saved views."""
    async with UnitOfWork(session_factory) as uow:
        await uow.session.delete(await _owned(uow.session, owner_id, view_id))
        await uow.commit()
