"""Public accounts and the cases each one can see."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_intake.models import Base
from ombuds_shared.db import UtcDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Stored trimmed and lower-cased, so uniqueness is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # In every session cookie; raising it signs out every session of the account.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AccountCase(Base):
    """One submission shown in one account; the primary key keeps a case to one account."""

    __tablename__ = "account_cases"

    control_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # portal: sent while signed in; attached: claimed later with a code sent to its email.
    linked_by: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
