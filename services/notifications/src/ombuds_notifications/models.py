"""What notifications owns: a delivery log of every message it sent, its outbox and inbox."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin

STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
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


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


class InboxRecord(InboxRecordMixin, Base):
    """Events already applied (verification codes emailed), so a redelivery changes nothing."""

    __tablename__ = "inbox"
