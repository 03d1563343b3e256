"""The archive record: what a purged case leaves behind for trend reports, nothing personal.

One row per archived case, written in the purge's own transaction; it also keeps the purge's
manifest so a retried `cases.archive_case` answers the same without purging again.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime


class CaseArchive(Base):
    __tablename__ = "case_archives"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    # The case row stays (archived_at set), so the number links the record to its certificate.
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    office: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    language: Mapped[str] = mapped_column(String(8))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    # The status the case ended in (closed, withdrawn or redirected) and how it ended.
    final_status: Mapped[str] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Month precision (the first of the month): a day and a category can single a person out.
    received_month: Mapped[date] = mapped_column(Date, index=True)
    closed_month: Mapped[date | None] = mapped_column(Date, nullable=True)
    days_to_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note_count: Mapped[int] = mapped_column(Integer)
    # Times the case was sent to another office or agency (moves into status `referred`).
    referral_count: Mapped[int] = mapped_column(Integer)
    supplement_count: Mapped[int] = mapped_column(Integer)
    amendment_count: Mapped[int] = mapped_column(Integer)
    disclosure_count: Mapped[int] = mapped_column(Integer)
    # What the purge removed or scrubbed in the cases database, table by table.
    manifest: Mapped[dict[str, int]] = mapped_column(JSON)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)
