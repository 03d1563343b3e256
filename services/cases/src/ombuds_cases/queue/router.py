"""`/api/v1/views`: a staff member's saved queue views (needs `case.read`, like the queue;
a refusal is audited as `denied`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from ombuds_cases.queue import views
from ombuds_cases.queue.schemas import CreateView, SavedViewList, SavedViewOut
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1/views", tags=["saved views"])

ViewId = Annotated[int, Path(ge=1)]
# A view is a saved queue query: only those who may read the queue keep them.
CurrentStaff = Annotated[StaffActor, Depends(permitted("case.read"))]


@router.post("", response_model=SavedViewOut, status_code=status.HTTP_201_CREATED)
async def create_view(
    body: CreateView, actor: CurrentStaff, session_factory: SessionFactoryDep
) -> SavedViewOut:
    return await views.create_view(session_factory, actor.staff_id, body)


@router.get("", response_model=SavedViewList)
async def list_views(actor: CurrentStaff, session_factory: SessionFactoryDep) -> SavedViewList:
    return SavedViewList(items=await views.list_views(session_factory, actor.staff_id))


@router.get("/{view_id}", response_model=SavedViewOut)
async def read_view(
    view_id: ViewId, actor: CurrentStaff, session_factory: SessionFactoryDep
) -> SavedViewOut:
    return await views.read_view(session_factory, actor.staff_id, view_id)


@router.delete("/{view_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_view(
    view_id: ViewId, actor: CurrentStaff, session_factory: SessionFactoryDep
) -> Response:
    await views.delete_view(session_factory, actor.staff_id, view_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
