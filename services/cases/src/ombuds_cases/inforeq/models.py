"""A question staff put to the submitter, its deadline, and (once it comes) the answer."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime


class InformationRequest(Base):
    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    asked_by: Mapped[str] = mapped_column(String(200))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Where the case goes back to once answered (assigned, usually).
    previous_status: Mapped[str] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The answer is a supplement (text and files) from the portal's reply page.
    answer_supplement_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
