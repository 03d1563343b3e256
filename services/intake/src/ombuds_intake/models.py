"""What intake owns: submissions exactly as received, plus its outbox and inbox."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin


class Base(DeclarativeBase):
    pass


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    # The form definition this submission was validated against; never reinterpreted later.
    form_version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    narrative: Mapped[str] = mapped_column(Text)
    incident_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    port_of_entry: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    # The original submission as received, kept whole (PIA 2.4: the original is retained).
    original: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    privacy_act_acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # PIA 7.2: web submitters certify the information is true and accurate.
    accuracy_certified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(32), default="received")
    status_updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Why the case reached a closing status (closed, resolved, withdrawn, redirected).
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


# The retention purge deletes a case's events by key (the control number) years later, when
# the table is large; without this it would scan the whole outbox once per case.
Index("ix_outbox_message_key", OutboxRecord.message_key)


class InboxRecord(InboxRecordMixin, Base):
    __tablename__ = "inbox"
