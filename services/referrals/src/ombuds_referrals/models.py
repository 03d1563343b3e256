"""What referrals owns: the directory of offices and agencies, their API keys, referrals,
their deliveries, the agency's messages, the timer steps taken, and the messaging tables."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.inbox import InboxRecordMixin
from ombuds_shared.outbox import OutboxRecordMixin

# Directory kinds: DHS-internal offices and components (referrals to them are need-to-know
# shares, 552a(b)(1)), and bodies outside DHS (routine uses, 552a(b)(3)); every referral is
# accounted for under 5 U.S.C. 552a(c) with its basis.
INTERNAL_OFFICE = "internal_office"
DHS_COMPONENT = "dhs_component"
OUTSIDE_AGENCY = "outside_agency"


class Base(DeclarativeBase):
    pass


class DirectoryEntry(Base):
    __tablename__ = "directory_entries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    postal_address: Mapped[str] = mapped_column(Text)
    kafka_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # Needed in clear to sign each delivery; never shown back by the API.
    webhook_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    acknowledgement_business_days: Mapped[int] = mapped_column(Integer)
    response_business_days: Mapped[int] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgencyApiKey(Base):
    """Only the SHA-256 of a key is kept; its public prefix finds the row."""

    __tablename__ = "agency_api_keys"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    directory_id: Mapped[str] = mapped_column(ForeignKey("directory_entries.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("directory_entries.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    nature: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    disposition: Mapped[str | None] = mapped_column(Text, nullable=True)
    disposition_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recall_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    workflow_started: Mapped[bool] = mapped_column(Boolean, default=False)


class ReferralDelivery(Base):
    """One row per referral, action and channel: the idempotency key of a delivery."""

    __tablename__ = "referral_deliveries"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReferralMessage(Base):
    """What the agency sent: questions, responses and the disposition, in order."""

    __tablename__ = "referral_messages"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReferralStep(Base):
    """A reminder or escalation the workflow took; unique so a retried activity records once."""

    __tablename__ = "referral_steps"
    __table_args__ = (UniqueConstraint("referral_id", "step_key"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    step_key: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoutingRule(Base):
    """Suggests a recipient for a case: every non-empty condition must hold; the lowest
    priority that matches wins. Empty `kinds` or `categories` means any; empty `keywords`
    means no keyword is needed."""

    __tablename__ = "routing_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, index=True)
    description: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("directory_entries.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoutingDecision(Base):
    """What staff did with a suggestion: accepted it, or chose another recipient."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    # No foreign key: the decision stays readable after a rule is deleted or renamed.
    suggested_rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    suggested_recipient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chosen_recipient_id: Mapped[str] = mapped_column(ForeignKey("directory_entries.id"))
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CorrectionNotice(Base):
    """A correction notice to one earlier recipient on one channel (552a(c)(4)); the unique
    key (amendment, recipient, channel) is what stops a redelivered event sending twice.
    Outbound-topic rows are `sent` when staged in the outbox; webhook rows wait `pending`
    for the sender (corrections.py) and end `sent` or `failed`."""

    __tablename__ = "correction_notices"
    __table_args__ = (Index("ix_correction_notices_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    amendment_id: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("directory_entries.id"))
    channel: Mapped[str] = mapped_column(String(16))
    # The notice as sent (ReferralCorrectionNoticeV1 JSON): no personal data, resent as is.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


# The retention purge deletes a case's events by key (the control number) years later, when
# the table is large; without this it would scan the whole outbox once per case.
Index("ix_outbox_message_key", OutboxRecord.message_key)


class InboxRecord(InboxRecordMixin, Base):
    __tablename__ = "inbox"
