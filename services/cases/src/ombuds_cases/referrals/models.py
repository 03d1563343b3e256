"""The case's view of its referrals: a projection of the referrals service's events.

The cases service never reads the referrals tables; it writes a row when staff ask for a
referral and follows `ombuds.referral.*` events from then on. No foreign key to `cases`: the
row names its case by control number, like the disclosure accounting.
"""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import UtcDateTime, utcnow

# requested (staff asked; the referrals service has not answered yet), created, acknowledged,
# responded, disposition_received, recalled, refused (no such enabled directory entry).
OPEN_STATUSES = frozenset({"requested", "created", "acknowledged", "responded"})


class CaseReferral(Base):
    __tablename__ = "case_referrals"

    referral_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purpose: Mapped[str] = mapped_column(Text)
    nature: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    disposition: Mapped[str | None] = mapped_column(Text, nullable=True)
    disposition_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Why it was recalled or refused.
    ended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
