"""Appending to the chain and reading it back; no commits here (the caller's unit of work does).

Appends are serialized across every process by a PostgreSQL advisory transaction lock held
until the appending transaction ends: whoever holds it reads the chain head, hashes its
records onto it and inserts them. On SQLite the appender takes the database's single write
lock first. Either way the sequence number is the primary key, so even appenders that raced
to the same head could never both commit: the loser would fail instead of forking the chain.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast as typing_cast

from sqlalchemy import ColumnElement, String, Table, and_, cast, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainRecord,
    Checkpoint,
    extend_chain,
)
from ombuds_cases.audit.models import AuditCheckpoint, AuditRecord
from ombuds_cases.audit.signing import CheckpointSigner
from ombuds_shared.db import utcnow

AUDIT_RECORDS = typing_cast(Table, AuditRecord.__table__)

# pg_advisory_xact_lock key for "the audit chain" (any constant no other code uses).
CHAIN_LOCK_KEY = 0x0A0D17C4A1


@dataclass(frozen=True)
class CheckpointPolicy:
    signer: CheckpointSigner
    every: int


async def lock_chain(session: AsyncSession) -> None:
    """Hold the chain until this transaction ends, so the head read next stays the head."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        # SQLite has one writer at a time: a write (that changes no row) takes its write lock
        # now, waiting out the busy timeout, rather than after the head has been read.
        await session.execute(text("UPDATE audit_checkpoints SET id = id WHERE 0 = 1"))


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    """The newest record's sequence and hash, or (0, genesis) for an empty log."""
    row = (
        await session.execute(
            select(AuditRecord.sequence, AuditRecord.hash)
            .order_by(AuditRecord.sequence.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row is not None else (0, GENESIS_HASH)


async def append(
    session: AsyncSession,
    entries: Sequence[AuditEntry],
    policy: CheckpointPolicy,
    checkpoint_head: bool = False,
) -> list[int]:
    """Stage `entries` at the end of the chain; returns their sequence numbers.

    Call inside the transaction whose change the entries describe, so both commit or neither
    does. The chain stays locked until that transaction ends, so keep it short.
    """
    if not entries:
        return []
    await lock_chain(session)
    head_sequence, head_hash = await chain_head(session)
    records = extend_chain(head_sequence, head_hash, entries)
    signed_at = utcnow()
    checkpoints = [
        policy.signer.sign(record.sequence, record.hash, signed_at)
        for record in records
        if record.sequence % policy.every == 0
    ]
    head = records[-1]
    if checkpoint_head and (not checkpoints or checkpoints[-1].sequence != head.sequence):
        checkpoints.append(policy.signer.sign(head.sequence, head.hash, signed_at))
    rows = [_row(record) for record in records]
    # Core, not the ORM's bulk path: nothing is loaded back, and per-row ORM work is the
    # writer's main CPU cost under load.
    connection = await session.connection()
    await connection.execute(insert(AUDIT_RECORDS), rows)
    if checkpoints:
        await _insert_checkpoints(session, checkpoints)
    return [record.sequence for record in records]


def _row(record: ChainRecord) -> dict[str, object]:
    # Spelled out: dataclasses.asdict deep-copies, and this runs for every record appended.
    return {
        "sequence": record.sequence,
        "occurred_at": record.occurred_at,
        "actor": record.actor,
        "actor_role": record.actor_role,
        "action": record.action,
        "record_type": record.record_type,
        "record_id": record.record_id,
        "fields": list(record.fields),
        "client_address": record.client_address,
        "outcome": record.outcome,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


async def checkpoint_head_if_unsigned(session: AsyncSession, signer: CheckpointSigner) -> bool:
    """Sign the newest record unless it already has a checkpoint; True when one was added."""
    await lock_chain(session)
    sequence, head_hash = await chain_head(session)
    if sequence == 0:
        return False
    signed = await session.scalar(select(func.max(AuditCheckpoint.sequence)))
    if signed is not None and signed >= sequence:
        return False
    await _insert_checkpoints(session, [signer.sign(sequence, head_hash, utcnow())])
    return True


async def _insert_checkpoints(session: AsyncSession, checkpoints: Sequence[Checkpoint]) -> None:
    await session.execute(
        insert(AuditCheckpoint),
        [
            {
                "sequence": checkpoint.sequence,
                "record_hash": checkpoint.record_hash,
                "key_id": checkpoint.key_id,
                "signed_at": checkpoint.signed_at,
                "signature": checkpoint.signature,
            }
            for checkpoint in checkpoints
        ],
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    record_id: str | None = None
    record_type: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


# Audit record types whose `fields` list the control numbers a list read or export showed.
LIST_RECORD_TYPES = ("case_list",)


def _names_record(record_id: str) -> ColumnElement[bool]:
    """The record itself, or a list read or export that showed it (its number, quoted, in the
    JSON list of fields: a whole element, never part of a longer one)."""
    listed = cast(AuditRecord.fields, String).contains(f'"{record_id}"', autoescape=True)
    return or_(
        AuditRecord.record_id == record_id,
        and_(AuditRecord.record_type.in_(LIST_RECORD_TYPES), listed),
    )


async def search(
    session: AsyncSession, criteria: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    """Records matching every given criterion, newest first, and how many match in all."""
    conditions: list[ColumnElement[bool]] = [
        column == value
        for column, value in (
            (AuditRecord.actor, criteria.actor),
            (AuditRecord.record_type, criteria.record_type),
            (AuditRecord.action, criteria.action),
            (AuditRecord.outcome, criteria.outcome),
        )
        if value is not None
    ]
    if criteria.record_id is not None:
        conditions.append(_names_record(criteria.record_id))
    if criteria.since is not None:
        conditions.append(AuditRecord.occurred_at >= criteria.since)
    if criteria.until is not None:
        conditions.append(AuditRecord.occurred_at < criteria.until)
    rows = await session.scalars(
        select(AuditRecord)
        .where(*conditions)
        .order_by(AuditRecord.sequence.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(AuditRecord).where(*conditions))
    return list(rows.all()), int(total or 0)


async def whole_log(session: AsyncSession) -> tuple[list[AuditRecord], list[AuditCheckpoint]]:
    """Every record by sequence and every checkpoint, for `verify`."""
    records = await session.scalars(select(AuditRecord).order_by(AuditRecord.sequence))
    checkpoints = await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.sequence))
    return list(records.all()), list(checkpoints.all())
