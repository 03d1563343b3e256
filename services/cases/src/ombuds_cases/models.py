"""What cases owns: cases and their status history, plus its outbox and inbox."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin


class Base(DeclarativeBase):
    pass


# The stored `tsvector` column of `cases` that full-text search reads on PostgreSQL: the
# narrative and every note of the case, kept current by triggers (migration 0010_queue_tsvector).
# Not mapped, so loading a case never carries its vector; queue/search.py names it, and the
# migration test knows the database has it.
SEARCH_VECTOR = "search_vector"


class Case(Base):
    __tablename__ = "cases"
    # The queue's most common filter (an office's cases in one status), newest first.
    __table_args__ = (Index("ix_cases_office_status_id", "office", "status", "id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    form_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    contact_first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    narrative: Mapped[str] = mapped_column(Text)
    incident_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    port_of_entry: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    # The rest of what the submitter's question path asked, as asked (contact details beyond
    # name and email, trade details, identity verification), keyed by section.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # When the submitter is owed an answer (set at opening, per kind; see queue/due.py).
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    workflow_started: Mapped[bool] = mapped_column(Boolean, default=False)
    # How staff work the case (issue 4): who has it, how urgent, how it ended.
    office: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    findings: Mapped[str | None] = mapped_column(Text, nullable=True)
    recommendations: Mapped[str | None] = mapped_column(Text, nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Set when retention ran out and the case's personal data was purged (retention/archive.py):
    # the status stays what it was at closure; every action on the case is then refused.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    history: Mapped[list["StatusChange"]] = relationship(
        back_populates="case", lazy="raise", order_by="StatusChange.id"
    )


class StatusChange(Base):
    __tablename__ = "status_changes"
    # One change per workflow step: a retried activity finds its step already applied.
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="history", lazy="raise")


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"
    # The mixin's index, plus one for the purge, which deletes a case's events by its number
    # (retention/archive.py): the outbox is never pruned, so a scan would grow with it.
    __table_args__ = (
        Index("ix_outbox_unpublished", "published_at", "id"),
        Index("ix_outbox_message_key", "message_key"),
    )


class InboxRecord(InboxRecordMixin, Base):
    __tablename__ = "inbox"
