"""What the privacy office keeps: the blind index, requests, selections, redactions, releases
and amendment requests. Requests name cases by control number (no foreign key into `cases`):
a request is itself a record the purge of one of its cases must not take with it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow


class PersonIndexEntry(Base):
    """One keyed digest of a normalized identifier found in a case; never the clear value."""

    __tablename__ = "person_index"
    __table_args__ = (UniqueConstraint("control_number", "term", "digest"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    # email, name, phone or identity (any identity document number).
    term: Mapped[str] = mapped_column(String(16))
    # HMAC-SHA256 of `term:normalized value`, hex.
    digest: Mapped[str] = mapped_column(String(64), index=True)


class PrivacyRequest(Base):
    """A request for access to records: under the Privacy Act (552a(d)(1)) or FOIA."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    requester_name: Mapped[str] = mapped_column(String(201))
    requester_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    requester_address: Mapped[str] = mapped_column(Text)
    # How the requester proved who they are (DHS-form 590, notarised statement, ...).
    identity_verification: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RequestCase(Base):
    """A case staff found to be about the requester and selected for the export."""

    __tablename__ = "privacy_request_cases"
    __table_args__ = (UniqueConstraint("request_id", "control_number"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("privacy_requests.id"), index=True)
    control_number: Mapped[str] = mapped_column(String(32))
    selected_by: Mapped[str] = mapped_column(String(200))
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Redaction(Base):
    """Third-party information withheld from an export: a whole value or a span of its text."""

    __tablename__ = "privacy_redactions"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("privacy_requests.id"), index=True)
    control_number: Mapped[str] = mapped_column(String(32))
    # Where in the case's export: `narrative`, `details.contact.phone`, `notes.<id>`, ...
    target: Mapped[str] = mapped_column(String(200))
    # The exact text withheld inside the value; None withholds the whole value.
    span: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Release(Base):
    """An export handed to the requester; its SHA-256 proves what was released."""

    __tablename__ = "privacy_releases"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("privacy_requests.id"), index=True)
    control_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    method: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    released_by: Mapped[str] = mapped_column(String(200))
    released_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AmendmentRequest(Base):
    """A request to correct a record (552a(d)(2)); decided by staff, never applied by itself."""

    __tablename__ = "privacy_amendment_requests"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    requester_name: Mapped[str] = mapped_column(String(201))
    # The field as the case's question path asks it (`contact.email`, `incident.narrative`).
    field: Mapped[str] = mapped_column(String(200))
    # Sealed under the case's data key when the field is an identity number or birth date.
    requested_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    justification: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    # Acknowledgement is owed within 10 business days (552a(d)(2)(A)).
    acknowledge_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The appended amendment an accepted request made (case/records.py `Amendment`).
    amendment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
