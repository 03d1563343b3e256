"""`verify_chain` over random logs: the untouched log passes; every edit of any field of any
record, every deletion and every reordering is caught, and the problem names the record."""

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from ombuds_cases.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainRecord,
    Checkpoint,
    extend_chain,
    verify_chain,
)
from ombuds_cases.audit.signing import (
    DEVELOPMENT_KEY_ID,
    DEVELOPMENT_SIGNING_KEY,
    CheckpointSigner,
    load_private_key,
    public_key_text,
    trusted_keys,
)

SIGNER = CheckpointSigner(load_private_key(DEVELOPMENT_SIGNING_KEY), DEVELOPMENT_KEY_ID)
KEYS = trusted_keys(SIGNER, {})
SIGNED_AT = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
short_text = st.text(max_size=12)
entries = st.builds(
    AuditEntry,
    actor=short_text,
    actor_role=short_text,
    action=st.sampled_from(["read", "create", "update", "delete", "reveal", "export"]),
    record_type=short_text,
    record_id=short_text,
    outcome=st.sampled_from(["success", "denied", "not_found", "error"]),
    fields=st.lists(short_text, max_size=4).map(tuple),
    client_address=st.none() | short_text,
    occurred_at=moments,
)


@st.composite
def logs(draw: st.DrawFn, min_size: int = 1) -> tuple[list[ChainRecord], list[Checkpoint]]:
    """A chain of random length, signed at random places and always at its newest record
    (as the writer leaves it: on every interval and when it stops)."""
    records = extend_chain(0, GENESIS_HASH, draw(st.lists(entries, min_size=min_size, max_size=25)))
    signed = draw(st.sets(st.sampled_from([r.sequence for r in records])))
    signed.add(records[-1].sequence)
    checkpoints = [
        SIGNER.sign(r.sequence, r.hash, SIGNED_AT) for r in records if r.sequence in signed
    ]
    return records, checkpoints


def _other_value(
    draw: Callable[[st.SearchStrategy[Any]], Any], value: Any, nullable: bool = False
) -> Any:
    """A different value of the same shape as `value` (or None where the column allows it)."""
    if isinstance(value, bool):
        raise AssertionError("no boolean fields")
    if isinstance(value, int):
        new: Any = draw(st.integers(min_value=-5, max_value=50))
    elif isinstance(value, datetime):
        new = value + timedelta(microseconds=draw(st.integers(min_value=-(10**9), max_value=10**9)))
    elif isinstance(value, tuple):
        new = tuple(draw(st.lists(short_text, max_size=4)))
    elif value is None:
        new = draw(short_text)
    else:
        hex_digest = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
        new = draw((st.none() if nullable else st.nothing()) | short_text | hex_digest)
    assume(new != value)
    return new


@given(logs())
def test_the_untouched_log_is_intact(log: tuple[list[ChainRecord], list[Checkpoint]]) -> None:
    records, checkpoints = log

    report = verify_chain(records, checkpoints, KEYS)

    assert report.problems == []
    assert report.intact
    assert (report.records, report.last_sequence, report.unsigned_tail) == (
        len(records),
        len(records),
        0,
    )


def test_an_empty_log_is_intact() -> None:
    report = verify_chain([], [], KEYS)
    assert report.intact
    assert (report.records, report.last_sequence) == (0, 0)


@given(log=logs(), data=st.data())
def test_every_edit_of_any_field_of_any_record_is_caught_where_it_was_made(
    log: tuple[list[ChainRecord], list[Checkpoint]], data: st.DataObject
) -> None:
    records, checkpoints = log
    index = data.draw(st.integers(min_value=0, max_value=len(records) - 1))
    name = data.draw(st.sampled_from([f.name for f in dataclasses.fields(ChainRecord)]))
    original = records[index]
    new_value = _other_value(data.draw, getattr(original, name), name == "client_address")
    edited = dataclasses.replace(original, **{name: new_value})
    tampered = [*records[:index], edited, *records[index + 1 :]]

    report = verify_chain(tampered, checkpoints, KEYS)

    assert not report.intact
    assert edited.sequence in {problem.sequence for problem in report.problems}


@given(log=logs(), data=st.data())
def test_every_deletion_is_caught_next_to_the_deleted_record(
    log: tuple[list[ChainRecord], list[Checkpoint]], data: st.DataObject
) -> None:
    records, checkpoints = log
    index = data.draw(st.integers(min_value=0, max_value=len(records) - 1))
    deleted = records[index].sequence
    tampered = records[:index] + records[index + 1 :]

    report = verify_chain(tampered, checkpoints, KEYS)

    assert not report.intact
    assert {deleted, deleted + 1} & {problem.sequence for problem in report.problems}


@given(log=logs(), data=st.data())
def test_every_deletion_of_a_run_of_records_is_caught(
    log: tuple[list[ChainRecord], list[Checkpoint]], data: st.DataObject
) -> None:
    records, checkpoints = log
    start = data.draw(st.integers(min_value=0, max_value=len(records) - 1))
    stop = data.draw(st.integers(min_value=start + 1, max_value=len(records)))

    report = verify_chain(records[:start] + records[stop:], checkpoints, KEYS)

    assert not report.intact


@given(log=logs(min_size=2), data=st.data())
def test_every_reordering_is_caught(
    log: tuple[list[ChainRecord], list[Checkpoint]], data: st.DataObject
) -> None:
    records, checkpoints = log
    reordered = data.draw(st.permutations(records))
    assume([r.sequence for r in reordered] != [r.sequence for r in records])

    report = verify_chain(reordered, checkpoints, KEYS)

    assert not report.intact
    moved = {r.sequence for r, o in zip(reordered, records, strict=True) if r != o}
    assert moved & {problem.sequence for problem in report.problems}


@given(log=logs(), data=st.data())
def test_every_edit_of_a_checkpoint_is_caught(
    log: tuple[list[ChainRecord], list[Checkpoint]], data: st.DataObject
) -> None:
    records, checkpoints = log
    index = data.draw(st.integers(min_value=0, max_value=len(checkpoints) - 1))
    name = data.draw(st.sampled_from([f.name for f in dataclasses.fields(Checkpoint)]))
    original = checkpoints[index]
    edited = dataclasses.replace(
        original, **{name: _other_value(data.draw, getattr(original, name))}
    )
    tampered = [*checkpoints[:index], edited, *checkpoints[index + 1 :]]

    assert not verify_chain(records, tampered, KEYS).intact


@given(log=logs())
def test_a_rewritten_chain_is_caught_by_its_checkpoints(
    log: tuple[list[ChainRecord], list[Checkpoint]],
) -> None:
    """Someone who edits a record and recomputes every hash after it still cannot re-sign."""
    records, checkpoints = log
    first = records[0]
    forged_first = dataclasses.replace(first, actor=first.actor + "x")
    entries = [
        AuditEntry(
            r.actor,
            r.actor_role,
            r.action,
            r.record_type,
            r.record_id,
            r.outcome,
            r.fields,
            r.client_address,
            r.occurred_at,
        )
        for r in [forged_first, *records[1:]]
    ]
    rewritten = extend_chain(0, GENESIS_HASH, entries)

    report = verify_chain(rewritten, checkpoints, KEYS)

    assert not report.intact
    assert {problem.kind for problem in report.problems} == {"rewritten"}


def test_checkpoints_signed_with_an_untrusted_key_are_refused() -> None:
    records = extend_chain(
        0, GENESIS_HASH, [AuditEntry("a", "staff", "read", "case", "X", "success")]
    )
    stranger = CheckpointSigner(load_private_key("A" * 43 + "="), "stranger")
    [checkpoint] = [stranger.sign(1, records[0].hash, SIGNED_AT)]

    report = verify_chain(records, [checkpoint], KEYS)

    assert [(p.sequence, p.kind) for p in report.problems] == [(1, "unknown key")]
    assert verify_chain(records, [checkpoint], trusted_keys(SIGNER, {})).unsigned_tail == 1


def test_a_retired_key_still_verifies_its_checkpoints() -> None:
    records = extend_chain(
        0, GENESIS_HASH, [AuditEntry("a", "staff", "read", "case", "X", "success")]
    )
    retired_key = load_private_key("B" * 43 + "=")
    checkpoint = CheckpointSigner(retired_key, "2025").sign(1, records[0].hash, SIGNED_AT)

    keys = trusted_keys(SIGNER, {"2025": public_key_text(retired_key)})

    assert verify_chain(records, [checkpoint], keys).intact
