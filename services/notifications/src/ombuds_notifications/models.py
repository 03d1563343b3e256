"""What notifications owns: a delivery log of every message it sent, its outbox and inbox."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin

STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
# The mail provider reported (POST /messages/{id}/bounce) that a sent email did not arrive.
STATUS_BOUNCED = "bounced"
# A phone submission with no postal address: staff must call and read the message out.
STATUS_CALL_REQUIRED = "call_required"
# A letter is done once rendered: staff print and post it.
STATUS_READY_TO_PRINT = "ready_to_print"
RECIPIENT_LENGTH = 320
SUBJECT_LENGTH = 300


class Base(DeclarativeBase):
    pass


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    # One message per purpose per case (`{control_number}:acknowledgement`): retries reuse it.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(RECIPIENT_LENGTH), index=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The rendered HTML of a printable letter; emails are not kept.
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CaseContact(Base):
    """How to reach a case's submitter, copied from `submission.received` (issue 6 purges it).

    Kept here so lifecycle messages never call another service; one row per control number,
    so the retention purge deletes exactly one row.
    """

    __tablename__ = "case_contacts"

    control_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(RECIPIENT_LENGTH), default="")
    email: Mapped[str | None] = mapped_column(String(RECIPIENT_LENGTH), nullable=True)
    address_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ParkedEvent(Base):
    """A case event that came before its submission's contact copy (the two topics are not
    ordered together), kept here instead of blocking the partition; replayed in arrival order
    when the contact arrives (lifecycle.py). Holds case data: the retention purge deletes it."""

    __tablename__ = "parked_events"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    # A redelivered event parks once.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    # The whole CloudEvent as JSON, as it arrived.
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


# The retention purge deletes a case's events by key (the control number) years later, when
# the table is large; without this it would scan the whole outbox once per case.
Index("ix_outbox_message_key", OutboxRecord.message_key)


class InboxRecord(InboxRecordMixin, Base):
    """Events already applied (verification codes emailed), so a redelivery changes nothing."""

    __tablename__ = "inbox"
