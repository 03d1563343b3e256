"""`/api/v1/routing`: suggest where a case should go and record what staff chose;
`/api/v1/admin/routing-rules`: the rules themselves."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from ombuds_referrals.auth import ReferralStaff, RoutingStaff
from ombuds_referrals.routing import service
from ombuds_referrals.routing.schemas import (
    CaseToRoute,
    DecisionCreate,
    DecisionView,
    RuleCreate,
    RuleUpdate,
    RuleView,
    Suggestion,
    canonical_control_number,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import ServiceError, SessionFactoryDep

router = APIRouter(prefix="/api/v1/routing", tags=["routing"], dependencies=[ReferralStaff])
admin_router = APIRouter(
    prefix="/api/v1/admin/routing-rules", tags=["routing"], dependencies=[RoutingStaff]
)


class InvalidControlNumberError(ServiceError):
    status_code = 422
    code = "invalid_control_number"


@router.post("/suggestion", response_model=Suggestion)
async def suggest(case: CaseToRoute, session_factory: SessionFactoryDep) -> Suggestion:
    """The recipient the rules suggest for a case of this kind, category and text, and why."""
    async with UnitOfWork(session_factory) as uow:
        return await service.suggest(uow.session, case)


@router.post("/decisions", response_model=DecisionView, status_code=status.HTTP_201_CREATED)
async def record_decision(
    request: DecisionCreate, session_factory: SessionFactoryDep
) -> DecisionView:
    async with UnitOfWork(session_factory) as uow:
        decision = await service.record_decision(uow.session, request)
        await uow.commit()
    return service.decision_view(decision)


@router.get("/decisions", response_model=list[DecisionView])
async def list_decisions(
    control_number: Annotated[str, Query(max_length=32)], session_factory: SessionFactoryDep
) -> list[DecisionView]:
    try:
        canonical = canonical_control_number(control_number)
    except ValueError as error:
        raise InvalidControlNumberError(f"control_number: {error}") from error
    async with UnitOfWork(session_factory) as uow:
        decisions = await service.list_decisions(uow.session, canonical)
    return [service.decision_view(decision) for decision in decisions]


@admin_router.get("", response_model=list[RuleView])
async def list_rules(
    session_factory: SessionFactoryDep, include_disabled: Annotated[bool, Query()] = False
) -> list[RuleView]:
    async with UnitOfWork(session_factory) as uow:
        rules = await service.list_rules(uow.session, include_disabled)
    return [service.view(rule) for rule in rules]


@admin_router.post("", response_model=RuleView, status_code=status.HTTP_201_CREATED)
async def create_rule(request: RuleCreate, session_factory: SessionFactoryDep) -> RuleView:
    async with UnitOfWork(session_factory) as uow:
        rule = await service.create_rule(uow.session, request)
        await uow.commit()
    return service.view(rule)


@admin_router.patch("/{rule_id}", response_model=RuleView)
async def update_rule(
    rule_id: str, request: RuleUpdate, session_factory: SessionFactoryDep
) -> RuleView:
    async with UnitOfWork(session_factory) as uow:
        rule = await service.update_rule(uow.session, rule_id, request)
        await uow.commit()
    return service.view(rule)


@admin_router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(rule_id: str, session_factory: SessionFactoryDep) -> Response:
    async with UnitOfWork(session_factory) as uow:
        await service.delete_rule(uow.session, rule_id)
        await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
