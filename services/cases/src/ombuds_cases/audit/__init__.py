"""The tamper-evident audit trail: every read and change of a record, by whom, when, from where.

Records are appended to `audit_records`, each carrying the SHA-256 of the one before it
(`chain.py`); every `CASES_AUDIT_CHECKPOINT_EVERY` records, and of the newest record at least
every `CASES_AUDIT_CHECKPOINT_INTERVAL_SECONDS`, an Ed25519-signed checkpoint goes into
`audit_checkpoints`. The database refuses UPDATE and DELETE on both tables, and no route edits
or deletes. `python -m ombuds_cases.audit verify` checks the chain and the checkpoints.

Recording an access from an endpoint (the caller and their address are filled in):

    from ombuds_cases.audit.dependencies import AuditDep

    @router.post("/cases/{control_number}/notes")
    async def add_note(control_number: str, body: NoteIn, audit: AuditDep) -> NoteView:
        ...
        await audit.record("update", "case", control_number, fields=["notes"])

`audit.record(action, record_type, record_id, fields=(), outcome="success")` waits until the
record is committed, so an access that cannot be audited fails with 503 rather than going
unrecorded. Actions: read, create, update, delete, reveal, export, search; outcomes: success,
denied, not_found, error. Record reads after loading and before answering; record a refusal
(e.g. another office's case) with outcome "denied".

For a change that must commit with its audit record or not at all, stage the record in the
unit of work instead: `await audit.append_in(uow.session, "update", "case", control_number,
fields=["status"])` before `uow.commit()` (this holds the chain lock until the commit, so
keep that transaction short).

The actor is `request.state.actor` (an `Actor(name, role)`), set by `staff.auth.permitted` to
the signed-in member's email and role ("dev-staff" for the development token); a request it
did not name is recorded as "anonymous", never guessed.
"""
