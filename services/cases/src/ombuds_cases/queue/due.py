"""When a case is due, and which cases are past it."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from ombuds_cases.models import Case
from ombuds_cases.queue.config import queue_settings

# Statuses in which nobody owes the submitter anything more: never overdue.
FINISHED_STATUSES = ("resolved", "closed", "withdrawn", "redirected")


def due_at_for(
    kind: str, received_at: datetime, due_days: Mapping[str, int] | None = None
) -> datetime:
    """The response due date of a case of `kind` received at `received_at`."""
    settings = queue_settings()
    days = (due_days if due_days is not None else settings.due_days).get(
        kind, settings.due_days_other
    )
    return received_at + timedelta(days=days)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Open cases whose due date has passed."""
    return and_(Case.due_at.is_not(None), Case.due_at < now, Case.status.not_in(FINISHED_STATUSES))


def not_overdue_condition(now: datetime) -> ColumnElement[bool]:
    return or_(Case.due_at.is_(None), Case.due_at >= now, Case.status.in_(FINISHED_STATUSES))
