"""The hash chain, pure: how a record is hashed and how a whole log is checked.

No database and no clock here, so `verify_chain` can be tested over any list of records,
including every edit, deletion and reordering a property-based test can think of.
"""

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

# The `prev_hash` of the first record: there is nothing before it.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """What happened, as the caller knows it; appending adds the sequence and hashes."""

    actor: str
    actor_role: str
    action: str
    record_type: str
    record_id: str
    outcome: str
    fields: tuple[str, ...] = ()
    client_address: str | None = None
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ChainRecord:
    """One audit record exactly as hashed and stored."""

    sequence: int
    occurred_at: datetime
    actor: str
    actor_role: str
    action: str
    record_type: str
    record_id: str
    fields: tuple[str, ...]
    client_address: str | None
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the record with `sequence` had `record_hash`."""

    sequence: int
    record_hash: str
    key_id: str
    signed_at: datetime
    signature: str


@dataclass(frozen=True)
class Problem:
    """Something wrong with the log, and where: a record's sequence number."""

    sequence: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"sequence {self.sequence}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    records: int
    checkpoints: int
    last_sequence: int
    # Records after the last valid checkpoint: only the chain vouches for them, so cutting
    # them off the end would go unnoticed until the next checkpoint is written.
    unsigned_tail: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(content: Mapping[str, object]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same content always gives the same bytes."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor: str,
    actor_role: str,
    action: str,
    record_type: str,
    record_id: str,
    fields: Sequence[str],
    client_address: str | None,
    outcome: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical JSON of every field of the record but its own hash."""
    content = {
        "sequence": sequence,
        "occurred_at": _timestamp(occurred_at),
        "actor": actor,
        "actor_role": actor_role,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "fields": list(fields),
        "client_address": client_address,
        "outcome": outcome,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


def hash_of(record: ChainRecord) -> str:
    """What `record.hash` should be, given the rest of the record."""
    return record_hash(
        sequence=record.sequence,
        occurred_at=record.occurred_at,
        actor=record.actor,
        actor_role=record.actor_role,
        action=record.action,
        record_type=record.record_type,
        record_id=record.record_id,
        fields=record.fields,
        client_address=record.client_address,
        outcome=record.outcome,
        prev_hash=record.prev_hash,
    )


def extend_chain(
    head_sequence: int, head_hash: str, entries: Sequence[AuditEntry]
) -> list[ChainRecord]:
    """The records `entries` become when appended after the record (head_sequence, head_hash)."""
    records: list[ChainRecord] = []
    sequence, previous = head_sequence, head_hash
    for entry in entries:
        sequence += 1
        unhashed = ChainRecord(
            sequence=sequence,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            actor_role=entry.actor_role,
            action=entry.action,
            record_type=entry.record_type,
            record_id=entry.record_id,
            fields=tuple(entry.fields),
            client_address=entry.client_address,
            outcome=entry.outcome,
            prev_hash=previous,
            hash="",
        )
        previous = hash_of(unhashed)
        records.append(replace(unhashed, hash=previous))
    return records


def checkpoint_message(sequence: int, record_hash: str, key_id: str, signed_at: datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return canonical_json(
        {
            "sequence": sequence,
            "hash": record_hash,
            "key_id": key_id,
            "signed_at": _timestamp(signed_at),
        }
    )


# key id -> a function that says whether a signature over a message is good.
SignatureCheck = Callable[[bytes, str], bool]


def verify_chain(
    records: Sequence[ChainRecord],
    checkpoints: Sequence[Checkpoint],
    keys: Mapping[str, SignatureCheck],
) -> VerifyReport:
    """Walk the log in the order given and say where it was edited, cut or reordered.

    `records` must be the whole log in storage order (by sequence, starting at 1).
    """
    problems: list[Problem] = []
    previous_hash = GENESIS_HASH
    by_sequence: dict[int, ChainRecord] = {}
    for position, record in enumerate(records, start=1):
        by_sequence.setdefault(record.sequence, record)
        if record.sequence != position:
            problems.append(_misplaced(record.sequence, position))
        if record.prev_hash != previous_hash:
            problems.append(
                Problem(
                    record.sequence,
                    "broken link",
                    f"prev_hash {record.prev_hash[:12]}… does not match the hash of the record "
                    f"before it ({previous_hash[:12]}…): a record before it was removed, "
                    "edited or moved",
                )
            )
        if hash_of(record) != record.hash:
            problems.append(
                Problem(
                    record.sequence,
                    "edited",
                    "the stored hash does not match the record's contents",
                )
            )
        previous_hash = record.hash

    last_sequence = records[-1].sequence if records else 0
    last_signed = 0
    for checkpoint in checkpoints:
        problem = _check_checkpoint(checkpoint, by_sequence, keys)
        if problem is not None:
            problems.append(problem)
        else:
            last_signed = max(last_signed, checkpoint.sequence)
    return VerifyReport(
        records=len(records),
        checkpoints=len(checkpoints),
        last_sequence=last_sequence,
        unsigned_tail=max(0, len(records) - last_signed),
        problems=problems,
    )


def _misplaced(sequence: int, position: int) -> Problem:
    if sequence > position:
        missing = (
            f"sequence {position}"
            if sequence == position + 1
            else f"sequences {position} to {sequence - 1}"
        )
        return Problem(
            sequence,
            "out of place",
            f"found at position {position}: {missing} is missing (deleted) or the log was reordered",
        )
    return Problem(
        sequence,
        "out of place",
        f"found at position {position}, after later records: the log was reordered or the "
        "sequence number edited",
    )


def _check_checkpoint(
    checkpoint: Checkpoint,
    by_sequence: Mapping[int, ChainRecord],
    keys: Mapping[str, SignatureCheck],
) -> Problem | None:
    check = keys.get(checkpoint.key_id)
    if check is None:
        return Problem(
            checkpoint.sequence,
            "unknown key",
            f"the checkpoint is signed with key {checkpoint.key_id!r}, which is not trusted",
        )
    message = checkpoint_message(
        checkpoint.sequence, checkpoint.record_hash, checkpoint.key_id, checkpoint.signed_at
    )
    if not check(message, checkpoint.signature):
        return Problem(
            checkpoint.sequence,
            "bad signature",
            "the checkpoint's signature does not match its contents: the checkpoint was edited",
        )
    record = by_sequence.get(checkpoint.sequence)
    if record is None:
        return Problem(
            checkpoint.sequence,
            "missing",
            "a signed checkpoint vouches for this record, but it is not in the log (deleted)",
        )
    if record.hash != checkpoint.record_hash:
        return Problem(
            checkpoint.sequence,
            "rewritten",
            "the record's hash differs from the one its signed checkpoint vouches for: the "
            "chain was rewritten from here or before",
        )
    return None
