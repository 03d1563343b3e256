"""Everything the cases service holds about a person in the selected cases, as one document,
with the privacy officer's redactions of third parties applied."""

import copy
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.case.records import Amendment, Note, Supplement, TimelineEntry
from ombuds_cases.case.selfservice import COLUMN_FIELDS
from ombuds_cases.crypto.identity import IDENTITY_SECTION, is_sensitive, revealed_value
from ombuds_cases.crypto.keyring import FieldDecryptError, FieldKeyring
from ombuds_cases.crypto.keys import CaseCipher, cipher_for
from ombuds_cases.disclosures import service as disclosures
from ombuds_cases.privacy.models import PrivacyRequest, Redaction
from ombuds_shared.http import ServiceError

UNREADABLE = "[UNREADABLE: the data key of this case was destroyed]"


class RedactionTargetError(ServiceError):
    status_code = 422
    code = "invalid_redaction"


def redacted(reason: str) -> str:
    return f"[REDACTED: {reason}]"


def _plain(value: Any) -> Any:
    """A value as JSON holds it (dates as ISO 8601)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _opened(cipher: CaseCipher | None, field: str, stored: Any) -> Any:
    if not is_sensitive(field):
        return stored
    try:
        return revealed_value(cipher, field, stored)
    except FieldDecryptError:
        return UNREADABLE


async def case_record(
    session: AsyncSession, keyring: FieldKeyring, control_number: str
) -> dict[str, Any] | None:
    """One case as released: its data, identity values in clear, and all that happened to it."""
    case = await repository.by_control_number(session, control_number)
    if case is None:
        return None
    cipher = await cipher_for(session, keyring, control_number)
    details = copy.deepcopy(case.details or {})
    # Values the case also keeps as columns are shown once, at the top level: a copy left in
    # `details` would survive a redaction of the column's value.
    for path in COLUMN_FIELDS:
        section, _, key = path.partition(".")
        if isinstance(details.get(section), dict):
            details[section].pop(key, None)
    identity = details.get(IDENTITY_SECTION)
    if isinstance(identity, dict):
        details[IDENTITY_SECTION] = {
            name: _opened(cipher, f"{IDENTITY_SECTION}.{name}", value)
            for name, value in identity.items()
        }

    async def rows(model: Any) -> list[Any]:
        found = await session.scalars(
            select(model).where(model.case_id == case.id).order_by(model.id)
        )
        return list(found.all())

    notes: list[Note] = await rows(Note)
    entries: list[TimelineEntry] = await rows(TimelineEntry)
    supplements: list[Supplement] = await rows(Supplement)
    amendments: list[Amendment] = await rows(Amendment)
    accounting = await disclosures.for_case(session, control_number)
    record = {
        "control_number": case.control_number,
        "kind": case.kind,
        "category": case.category,
        "topic": case.topic,
        "channel": case.channel,
        "status": case.status,
        "received_at": case.received_at,
        "closed_at": case.closed_at,
        "contact": {
            "first_name": case.contact_first_name,
            "last_name": case.contact_last_name,
            "email": case.contact_email,
        },
        "narrative": case.narrative,
        "incident_date": case.incident_date,
        "port_of_entry": case.port_of_entry,
        "details": details,
        "findings": case.findings,
        "recommendations": case.recommendations,
        "disposition": case.disposition,
        "notes": [
            {
                "id": str(n.id),
                "stage": n.stage,
                "text": n.text,
                "author": n.author,
                "created_at": n.created_at,
            }
            for n in notes
        ],
        "timeline": [
            {"id": str(e.id), "kind": e.kind, "summary": e.summary, "occurred_at": e.occurred_at}
            for e in entries
        ],
        "supplements": [
            {
                "id": s.supplement_id,
                "text": s.text,
                "attachments": list(s.attachments or []),
                "supplemented_at": s.supplemented_at,
            }
            for s in supplements
        ],
        "amendments": [
            {
                "id": a.amendment_id,
                "field": a.field,
                "previous_value": _opened(cipher, a.field, a.previous_value),
                "new_value": _opened(cipher, a.field, a.new_value),
                "reason": a.reason,
                "corrected_at": a.corrected_at,
            }
            for a in amendments
        ],
        "disclosures": [
            {
                "id": str(d.id),
                "disclosed_at": d.disclosed_at,
                "recipient_name": d.recipient_name,
                "recipient_address": d.recipient_address,
                "nature": d.nature,
                "purpose": d.purpose,
                "method": d.method,
                "basis": d.basis,
            }
            for d in accounting
        ],
    }
    plain: dict[str, Any] = _plain(record)
    return plain


def _locate(record: dict[str, Any], target: str) -> tuple[dict[str, Any], str]:
    """The container and key a target names; list items are named by their `id`."""
    *path, last = target.split(".")
    node: Any = record
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list):
            node = next((item for item in node if str(item.get("id")) == step), None)
        else:
            node = None
        if node is None:
            break
    if not isinstance(node, dict) or last not in node:
        raise RedactionTargetError(f"target: {target!r} names nothing in this case's export")
    return node, last


def check_redaction(record: dict[str, Any], target: str, span: str | None) -> None:
    """Refuse a redaction that would withhold nothing (an unknown path, a span not there)."""
    container, key = _locate(record, target)
    value = container[key]
    if value is None or key == "id":
        raise RedactionTargetError(f"target: {target!r} has no value to withhold")
    if span is not None and (not isinstance(value, str) or span not in value):
        raise RedactionTargetError(f"span: the text is not found in {target!r}")


def _withhold(value: Any, redaction: Redaction) -> Any:
    if redaction.span is None:
        return redacted(redaction.reason)
    if isinstance(value, str):
        return value.replace(redaction.span, redacted(redaction.reason))
    return value


def amended_field(target: str) -> str | None:
    """The field as amendments name it, for a target that is a field of the case."""
    if target.startswith("details."):
        return target.removeprefix("details.")
    if target.startswith("contact."):
        return target
    column_of = {column: path for path, column in COLUMN_FIELDS.items()}
    return column_of.get(target)


def apply_redactions(record: dict[str, Any], redactions: list[Redaction]) -> dict[str, Any]:
    """A copy of the record with each redaction replaced by `[REDACTED: reason]`.

    A redacted field is also withheld from the amendments of that field: the values before
    and after a correction would otherwise show what the redaction hides.
    """
    result = copy.deepcopy(record)
    for redaction in redactions:
        container, key = _locate(result, redaction.target)
        container[key] = _withhold(container[key], redaction)
        field = amended_field(redaction.target)
        for amendment in result.get("amendments", []) if field else []:
            if amendment.get("field") == field:
                for side in ("previous_value", "new_value"):
                    amendment[side] = _withhold(amendment[side], redaction)
    return result


async def build(
    session: AsyncSession,
    keyring: FieldKeyring,
    request: PrivacyRequest,
    control_numbers: list[str],
    redactions: list[Redaction],
    generated_at: datetime,
) -> dict[str, Any]:
    """The whole export of a request: its selected cases, redacted."""
    cases: list[dict[str, Any]] = []
    for number in control_numbers:
        record = await case_record(session, keyring, number)
        if record is None:
            cases.append({"control_number": number, "purged": True})
            continue
        mine = [r for r in redactions if r.control_number == number]
        cases.append(apply_redactions(record, mine))
    return {
        "request": {
            "id": request.id,
            "kind": request.kind,
            "requester_name": request.requester_name,
            "received_on": request.received_on.isoformat(),
            "due_on": request.due_on.isoformat(),
        },
        "generated_at": generated_at.isoformat(),
        "cases": cases,
    }


def as_json(export: dict[str, Any]) -> bytes:
    return json.dumps(export, ensure_ascii=False, indent=2).encode()
