"""What the cases service keeps about retention: a projection of each closed case's schedule
(so the records page never asks Temporal per row), the legal holds placed on it, and the
deletion certificates that prove its purge.

None has a foreign key to `cases`: the purge must not cascade through them, and a certificate
outlives the record it certifies.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow

# The projection's states; `archiving` covers the workflow's awaiting_confirmations too.
WAITING = "waiting"
HELD = "held"
CANCELLED = "cancelled"
ARCHIVING = "archiving"
CERTIFIED = "certified"
SCHEDULE_STATES = (WAITING, HELD, ARCHIVING, CERTIFIED, CANCELLED)
# States in which a hold may still be placed (the workflow ignores one once archiving began).
HOLDABLE_STATES = (WAITING, HELD)


class RetentionSchedule(Base):
    """One row per case whose Retention run was started: when it closed and falls due."""

    __tablename__ = "retention_schedules"

    control_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    period_years: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), index=True)
    certificate_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RetentionHold(Base):
    """A legal hold: who placed it, when and why, and who lifted it, when and why."""

    __tablename__ = "retention_holds"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeletionCertificate(Base):
    """Proof that a case's record was purged from every store; one per case, never updated."""

    __tablename__ = "deletion_certificates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # service -> store (table or file store) -> rows or files removed.
    manifests: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The holds that delayed the purge, as they stood (placed/lifted by, when, why).
    holds: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
