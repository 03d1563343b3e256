"""What happens to a case besides its columns: timeline, notes, links, pointers, self-service."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ombuds_cases.models import Base, Case
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow


class TimelineEntry(Base):
    """One thing that happened to a case, in the order it happened; never updated."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # e.g. status_changed, note_added, assigned, supplemented, amended (see README).
    kind: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    # Who did it: a staff member, "submitter" or "workflow".
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    # Lets an entry be staged with a case that is not flushed yet (the opening entry).
    case: Mapped[Case] = relationship(lazy="raise")


class Note(Base):
    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseLink(Base):
    """A link from one case to another, by control number (duplicate_of or related_to)."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "linked_control_number", "relation"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    linked_control_number: Mapped[str] = mapped_column(String(32))
    relation: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SourcePointer(Base):
    """Where a related record lives in a source system: a reference only, never a copy (PIA 1.2)."""

    __tablename__ = "source_pointers"
    __table_args__ = (UniqueConstraint("case_id", "system", "reference_id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    system: Mapped[str] = mapped_column(String(64))
    reference_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Supplement(Base):
    """More text or files from the submitter, kept beside the original submission."""

    __tablename__ = "supplements"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    supplement_id: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    supplemented_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Amendment(Base):
    """A field the submitter corrected: the value before and after, so no original is lost."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    amendment_id: Mapped[str] = mapped_column(String(64), unique=True)
    field: Mapped[str] = mapped_column(String(200))
    previous_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PendingSignal(Base):
    """A workflow signal decided in a transaction, sent after commit until Temporal takes it.

    The signal outbox: a withdrawal or a close committed while Temporal is down is not lost.
    """

    __tablename__ = "pending_signals"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    signal: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    # Why a signal was given up (the workflow is no longer running), if it was.
    outcome: Mapped[str | None] = mapped_column(String(200), nullable=True)
