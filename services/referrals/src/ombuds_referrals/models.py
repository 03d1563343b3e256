"""What referrals owns. The directory, routing rules and referrals arrive with issue 5;
for now only the messaging tables every service has."""

from sqlalchemy.orm import DeclarativeBase

from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin


class Base(DeclarativeBase):
    pass


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


class InboxRecord(InboxRecordMixin, Base):
    __tablename__ = "inbox"
