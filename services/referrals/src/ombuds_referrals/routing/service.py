"""Routing: suggest a recipient from the rules, manage the rules, record staff decisions."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_referrals.directory.service import InvalidFieldError, get_entry
from ombuds_referrals.models import DirectoryEntry, RoutingDecision, RoutingRule
from ombuds_referrals.routing.matching import RuleConditions, match
from ombuds_referrals.routing.schemas import (
    CaseToRoute,
    DecisionCreate,
    DecisionView,
    RuleCreate,
    RuleUpdate,
    RuleView,
    Suggestion,
)
from ombuds_shared.db import utcnow
from ombuds_shared.http import ConflictError, NotFoundError, ServiceError

NO_MATCH_REASON = "no routing rule matched: choose the office or agency by hand"


class RuleNotFoundError(NotFoundError):
    pass


class RecipientUnavailableError(ServiceError):
    status_code = 422
    code = "recipient_unavailable"


def view(rule: RoutingRule) -> RuleView:
    return RuleView(
        id=rule.id,
        priority=rule.priority,
        description=rule.description,
        kinds=list(rule.kinds),
        categories=list(rule.categories),
        keywords=list(rule.keywords),
        recipient_id=rule.recipient_id,
        disabled=rule.disabled,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


async def list_rules(session: AsyncSession, include_disabled: bool) -> list[RoutingRule]:
    """Rules in the order they are tried: priority, then id to break ties the same way."""
    statement = select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id)
    if not include_disabled:
        statement = statement.where(RoutingRule.disabled.is_(False))
    return list((await session.scalars(statement)).all())


async def suggest(session: AsyncSession, case: CaseToRoute) -> Suggestion:
    """The first enabled rule whose recipient is enabled and whose conditions hold."""
    rows = await session.execute(
        select(RoutingRule, DirectoryEntry)
        .join(DirectoryEntry, DirectoryEntry.id == RoutingRule.recipient_id)
        .where(RoutingRule.disabled.is_(False), DirectoryEntry.disabled.is_(False))
        .order_by(RoutingRule.priority, RoutingRule.id)
    )
    for rule, recipient in rows:
        conditions = RuleConditions(rule.kinds, rule.categories, rule.keywords)
        found = match(conditions, case.kind, case.category, case.text)
        if found is not None:
            return Suggestion(
                matched=True,
                recipient_id=recipient.id,
                recipient_name=recipient.name,
                rule=view(rule),
                reason=f"rule {rule.id!r} ({rule.description}): {found.reason()}",
            )
    return Suggestion(
        matched=False, recipient_id=None, recipient_name=None, rule=None, reason=NO_MATCH_REASON
    )


async def _check_recipient(session: AsyncSession, recipient_id: str) -> None:
    entry = await session.get(DirectoryEntry, recipient_id)
    if entry is None or entry.disabled:
        raise RecipientUnavailableError(
            f"recipient_id: {recipient_id!r} is not an enabled directory entry"
        )


async def get_rule(session: AsyncSession, rule_id: str) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise RuleNotFoundError(f"No routing rule {rule_id!r}.")
    return rule


async def create_rule(session: AsyncSession, request: RuleCreate) -> RoutingRule:
    if await session.get(RoutingRule, request.id) is not None:
        raise ConflictError(f"A routing rule {request.id!r} exists already.")
    await _check_recipient(session, request.recipient_id)
    now = utcnow()
    rule = RoutingRule(
        **request.model_dump(mode="json"), disabled=False, created_at=now, updated_at=now
    )
    session.add(rule)
    return rule


async def update_rule(session: AsyncSession, rule_id: str, request: RuleUpdate) -> RoutingRule:
    rule = await get_rule(session, rule_id)
    changes = request.model_dump(mode="json", exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise InvalidFieldError(f"{name}: may not be null")
    if "recipient_id" in changes:
        await _check_recipient(session, changes["recipient_id"])
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    return rule


async def delete_rule(session: AsyncSession, rule_id: str) -> None:
    await session.delete(await get_rule(session, rule_id))


async def record_decision(session: AsyncSession, request: DecisionCreate) -> RoutingDecision:
    """Accepted when staff chose the suggested rule's recipient; overridden otherwise."""
    await get_entry(session, request.chosen_recipient_id)
    suggested_recipient: str | None = None
    if request.suggested_rule_id is not None:
        suggested_recipient = (await get_rule(session, request.suggested_rule_id)).recipient_id
    decision = RoutingDecision(
        control_number=request.control_number,
        suggested_rule_id=request.suggested_rule_id,
        suggested_recipient_id=suggested_recipient,
        chosen_recipient_id=request.chosen_recipient_id,
        accepted=suggested_recipient == request.chosen_recipient_id,
        reason=request.reason,
        decided_at=utcnow(),
    )
    session.add(decision)
    await session.flush()
    return decision


async def list_decisions(session: AsyncSession, control_number: str) -> list[RoutingDecision]:
    statement = (
        select(RoutingDecision)
        .where(RoutingDecision.control_number == control_number)
        .order_by(RoutingDecision.id)
    )
    return list((await session.scalars(statement)).all())


def decision_view(decision: RoutingDecision) -> DecisionView:
    return DecisionView(
        id=decision.id,
        control_number=decision.control_number,
        suggested_rule_id=decision.suggested_rule_id,
        suggested_recipient_id=decision.suggested_recipient_id,
        chosen_recipient_id=decision.chosen_recipient_id,
        accepted=decision.accepted,
        reason=decision.reason,
        decided_at=decision.decided_at,
    )
