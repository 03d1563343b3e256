"""The audit tables: append-only records chained by hash, and signed checkpoints.

The migration adds triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on
both tables; nothing in the service ever tries either.
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.audit.chain import ChainRecord, Checkpoint
from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime

# The sequence number is assigned by the appender, not the database, because it is hashed.
SequenceNumber = BigInteger().with_variant(Integer(), "sqlite")


class AuditRecord(Base):
    __tablename__ = "audit_records"
    __table_args__ = (
        # The auditor's filters, each newest first.
        Index("ix_audit_records_actor_sequence", "actor", "sequence"),
        Index("ix_audit_records_record_sequence", "record_id", "sequence"),
    )

    sequence: Mapped[int] = mapped_column(SequenceNumber, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(200))
    fields: Mapped[list[str]] = mapped_column(JSON)
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def to_chain(self) -> ChainRecord:
        return ChainRecord(
            sequence=self.sequence,
            occurred_at=self.occurred_at,
            actor=self.actor,
            actor_role=self.actor_role,
            action=self.action,
            record_type=self.record_type,
            record_id=self.record_id,
            fields=tuple(self.fields),
            client_address=self.client_address,
            outcome=self.outcome,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    sequence: Mapped[int] = mapped_column(SequenceNumber, unique=True)
    record_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[str] = mapped_column(String(128))

    def to_checkpoint(self) -> Checkpoint:
        return Checkpoint(
            sequence=self.sequence,
            record_hash=self.record_hash,
            key_id=self.key_id,
            signed_at=self.signed_at,
            signature=self.signature,
        )
