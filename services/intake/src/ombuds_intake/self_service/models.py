"""What the submitter added or changed after sending: intake keeps each as its own row.

The submission's `original` is never touched; its current view is the original with the
amendments applied in order (PIA 7.3: the submitter may amend, the original stays on record).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_intake.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow


class Amendment(Base):
    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    amendment_id: Mapped[str] = mapped_column(String(32), unique=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    # Dotted path into the question path as asked, e.g. `contact.phone`.
    field: Mapped[str] = mapped_column(String(200))
    previous_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    amended_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Supplement(Base):
    __tablename__ = "supplements"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    supplement_id: Mapped[str] = mapped_column(String(32), unique=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachments: Mapped[list[str]] = mapped_column(JSON)
    # The staff request for information this answers (its id), if it answers one.
    reply_to_request: Mapped[str | None] = mapped_column(String(32), nullable=True)
    supplemented_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Withdrawal(Base):
    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    # Unique: of two withdrawals racing, the second fails to insert and is refused.
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
