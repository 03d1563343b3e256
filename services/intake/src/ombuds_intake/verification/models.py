"""One-time codes and links sent to a submitter's or account holder's email."""

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_intake.models import Base
from ombuds_shared.db import UtcDateTime, utcnow


class VerificationCode(Base):
    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_purpose_subject", "purpose", "subject"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # self_service, verify_email or attach_case (VerificationCodeIssuedV1.purpose).
    purpose: Mapped[str] = mapped_column(String(32))
    # What the code proves control of: a control number, or an account id.
    subject: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    # Keyed hashes only: a database reader cannot use a pending code or link.
    code_hash: Mapped[str] = mapped_column(String(64))
    link_token_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
