"""Notifications' HTTP API: the delivery log, by recipient."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications import service
from ombuds_notifications.schemas import MessageOut, MessagePage

router = APIRouter(prefix="/api/v1", tags=["messages"])


async def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


SessionFactoryDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]


@router.get("/messages", response_model=MessagePage)
async def list_messages(
    session_factory: SessionFactoryDep,
    recipient: Annotated[str, Query(min_length=3, max_length=320)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MessagePage:
    """Messages sent (or being sent) to one address, newest first."""
    async with session_factory() as session:
        items, total = await service.messages_for_recipient(session, recipient, limit, offset)
    return MessagePage(
        items=[MessageOut.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )
