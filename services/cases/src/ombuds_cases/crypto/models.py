"""The case data keys table: one per case, stored only wrapped under a master key."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow


class CaseDataKey(Base):
    """A case's data key; once shredded, `wrapped_key` is gone and its fields never open."""

    __tablename__ = "case_data_keys"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), unique=True)
    # Named in every sealed value, so a value is never opened with another case's key.
    key_id: Mapped[str] = mapped_column(String(32))
    master_key_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    shredded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
