"""Staff accounts, their privacy-training attestations and their server-side sessions."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    office: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The account works through this day (UTC) and is refused from the next.
    expires_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # A designated account starts with a one-time password that must be replaced.
    password_must_change: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The last TOTP time step accepted: a code is good once, even within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The OpenID Connect issuer's `sub`, pinned at the first OIDC sign-in (by verified email).
    oidc_subject: Mapped[str | None] = mapped_column(
        String(255), nullable=True, unique=True, index=True
    )
    # Wrong passwords or codes in a row; at the limit the account is locked for a while.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Who designated the account (PIA 8.3); None for the bootstrap administrator.
    designated_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    deactivated_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class TrainingAttestation(Base):
    """One completion of the annual privacy course (PIA 8.2), as attested by a supervisor."""

    __tablename__ = "staff_training_attestations"
    __table_args__ = (Index("ix_staff_training_staff_completed", "staff_id", "completed_on"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"))
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    attested_by: Mapped[str] = mapped_column(String(32))
    attested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in session; only the token's hash is kept, so a database reader cannot use it."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
