"""A Privacy Act request from end to end: recorded with its due date, the person found through
the blind index by each identifier, their two cases selected, a third party redacted, the
export complete (JSON and PDF) and free of anyone else, the release accounted and audited."""

import asyncio
import json
import subprocess
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.case.selfservice import apply_correction
from ombuds_shared.business_days import add_business_days
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import SubmissionCorrectedV1

from .conftest import PASSPORT, NewRequest, Person, ok

THIRD_PARTY = "Roberto Díaz"


async def test_a_request_is_recorded_with_its_due_date_in_business_days(
    client: httpx.AsyncClient, new_request: NewRequest
) -> None:
    foia = await new_request(kind="foia", received_on="2026-11-20")
    # 20 business days from Friday 20 November 2026: Thanksgiving (26th) and Christmas skipped.
    assert foia["due_on"] == add_business_days(date(2026, 11, 20), 20).isoformat()
    assert foia["due_on"] == "2026-12-21"
    assert foia["status"] == "open"
    assert foia["selected"] == []
    bad = await client.post(
        "/api/v1/privacy/requests",
        json={"kind": "subpoena", "requester_name": "", "received_on": "2999-01-01"},
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert {"kind", "requester_name", "identity_verification", "received_on"} <= fields
    listed = ok(await client.get("/api/v1/privacy/requests"), 200)
    assert foia["id"] in {r["id"] for r in listed["requests"]}
    assert listed["page"] == 1
    assert listed["total"] >= 1


async def _search(client: httpx.AsyncClient, request_id: int, **query: str) -> list[str]:
    found = ok(await client.post(f"/api/v1/privacy/requests/{request_id}/search", json=query), 200)
    return sorted(case["control_number"] for case in found)


async def test_the_person_is_found_by_each_identifier_and_no_one_else(
    client: httpx.AsyncClient, person: Person, new_request: NewRequest
) -> None:
    request = await new_request()
    rid = request["id"]
    mine = sorted(person.cases)
    assert await _search(client, rid, name=f"  {person.first.upper()} {person.last} ") == mine
    assert await _search(client, rid, email=person.email.upper()) == mine
    assert await _search(client, rid, identity_number=PASSPORT.replace(" ", "")) == [
        person.cases[0]
    ]
    assert await _search(client, rid, control_number=person.cases[1].lower()) == [person.cases[1]]
    # Every identifier given must match: the email and someone else's case number find nothing.
    assert await _search(client, rid, email=person.email, control_number=person.other_case) == []
    nothing = await client.post(f"/api/v1/privacy/requests/{rid}/search", json={})
    assert nothing.status_code == 422
    assert "name, email, control number or identity number" in nothing.text


def _pdf_text(body: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "export.pdf"
    pdf.write_bytes(body)
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


async def _redact(client: httpx.AsyncClient, rid: int, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/v1/privacy/requests/{rid}/redactions", json=body)


async def test_the_export_holds_every_record_about_the_person_and_nothing_else(
    client: httpx.AsyncClient,
    person: Person,
    new_request: NewRequest,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    rid = (await new_request())["id"]
    base = f"/api/v1/privacy/requests/{rid}"
    assert (await client.get(f"{base}/export.json")).status_code == 409  # nothing selected yet
    selected = ok(
        await client.post(f"{base}/cases", json={"control_numbers": list(person.cases)}), 200
    )
    assert selected == list(person.cases)

    first = ok(await client.get(f"{base}/export.json"), 200)["cases"][0]
    [note] = first["notes"]
    span = {"control_number": person.cases[0], "target": f"notes.{note['id']}.text"}
    redaction = ok(
        await _redact(client, rid, {**span, "span": THIRD_PARTY, "reason": "third party"}), 201
    )
    assert redaction["target"] == f"notes.{note['id']}.text"
    whole = {"control_number": person.cases[0], "target": "details.contact.phone", "reason": "b6"}
    ok(await _redact(client, rid, whole), 201)
    # A redaction that would withhold nothing is refused, naming what is wrong.
    unknown = await _redact(client, rid, {**span, "target": "notes.999999.text", "reason": "x"})
    assert unknown.status_code == 422
    assert "target" in unknown.json()["detail"]
    absent = await _redact(client, rid, {**span, "span": "Nobody Here", "reason": "x"})
    assert absent.status_code == 422
    assert absent.json()["detail"].startswith("span:")
    other = await _redact(client, rid, {**span, "control_number": person.other_case, "reason": "x"})
    assert other.status_code == 422
    assert "not selected" in other.json()["detail"]
    malformed = await _redact(client, rid, {**span, "target": "../../etc", "reason": "x"})
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "target"

    raw = await client.get(f"{base}/export.json")
    assert raw.headers["content-disposition"].endswith('.json"')
    exported = raw.json()
    text = raw.text
    assert [c["control_number"] for c in exported["cases"]] == list(person.cases)
    first, second = exported["cases"]
    assert first["details"]["identity"]["passport_number"] == PASSPORT  # decrypted for them
    assert first["narrative"] == "My Global Entry card was held at the port."
    assert (
        first["notes"][0]["text"] == "Spoke to her neighbour [REDACTED: third party], who saw it."
    )
    assert first["details"]["contact"]["phone"] == "[REDACTED: b6]"
    assert [(d["recipient_name"], d["basis"]) for d in first["disclosures"]] == [
        ("Department of State", "manual")
    ]
    assert {"opened", "note_added"} <= {entry["kind"] for entry in first["timeline"]}
    assert second["findings"] == "The card was held in error."
    assert second["contact"]["email"] == person.email
    for withheld in (THIRD_PARTY, "555-0142", person.other_case, "parking", "example.net"):
        assert withheld not in text

    pdf = await client.get(f"{base}/export.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    printed = await asyncio.to_thread(_pdf_text, pdf.content, tmp_path)
    for expected in (*person.cases, "Lucía", PASSPORT, "[REDACTED: third party]", "held in error"):
        assert expected in printed, expected
    for withheld in ("Roberto", "Díaz", "555-0142", person.other_case, "parking"):
        assert withheld not in printed

    released = ok(await client.post(f"{base}/release", json={"method": "mail"}), 201)
    assert released["control_numbers"] == list(person.cases)
    assert len(released["sha256"]) == 64
    for number in person.cases:
        accounting = ok(await client.get(f"/api/v1/cases/{number}/disclosures"), 200)
        [row] = [d for d in accounting if d["source"] == "release"]
        assert row["recipient_name"] == "Lucía Gómez"
        assert row["method"] == "mail"
        assert f"access request {rid}" in row["purpose"]
    view = ok(await client.get(base), 200)
    assert view["status"] == "released"
    assert [r["sha256"] for r in view["releases"]] == [released["sha256"]]
    assert len(view["redactions"]) == 2

    await asyncio.sleep(0.2)  # the audit writer flushes what `record` awaited already
    async with session_factory() as session:
        rows = await session.execute(
            select(AuditRecord.action, AuditRecord.record_type, AuditRecord.record_id)
        )
        audited = {(action, kind, record) for action, kind, record in rows.all()}
    for number in person.cases:
        assert ("read", "case", number) in audited  # the release
        assert ("export", "case", number) in audited  # each download before it
    assert ("export", "case", person.other_case) not in audited
    assert ("create", "redaction", person.cases[0]) in audited
    assert ("export", "privacy_request", f"privacy-request-{rid}") in audited


async def test_selection_refuses_unknown_and_mistyped_cases(
    client: httpx.AsyncClient, new_request: NewRequest
) -> None:
    rid = (await new_request())["id"]
    missing = await client.post(
        f"/api/v1/privacy/requests/{rid}/cases", json={"control_numbers": [new_control_number()]}
    )
    assert missing.status_code == 404
    typo = await client.post(
        f"/api/v1/privacy/requests/{rid}/cases", json={"control_numbers": ["OMB-1"]}
    )
    assert typo.status_code == 422
    assert typo.json()["detail"].startswith("control_numbers:")
    assert (await client.get("/api/v1/privacy/requests/999999")).status_code == 404


@pytest.mark.parametrize("page", [0, -1])
async def test_the_list_refuses_a_page_below_one(client: httpx.AsyncClient, page: int) -> None:
    response = await client.get("/api/v1/privacy/requests", params={"page": page})
    assert response.status_code == 422
    assert json.loads(response.text)["errors"][0]["field"] == "page"


async def test_a_redacted_field_is_withheld_from_its_amendments_too(
    client: httpx.AsyncClient,
    person: Person,
    new_request: NewRequest,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = person.cases[1]
    async with UnitOfWork(session_factory) as uow:
        case = await repository.by_control_number(uow.session, number)
        assert case is not None
        correction = SubmissionCorrectedV1(
            control_number=number,
            amendment_id=uuid.uuid4().hex,
            field="incident.narrative",
            previous_value=None,
            new_value="The officer at the booth, Sam Lee, was rude to me.",
            reason="named the officer",
            corrected_at=utcnow(),
        )
        apply_correction(uow.session, case, correction)
        await uow.commit()
    rid = (await new_request())["id"]
    base = f"/api/v1/privacy/requests/{rid}"
    ok(await client.post(f"{base}/cases", json={"control_numbers": [number]}), 200)
    redaction = {"control_number": number, "target": "narrative", "span": "Sam Lee", "reason": "b6"}
    ok(await client.post(f"{base}/redactions", json=redaction), 201)
    exported = ok(await client.get(f"{base}/export.json"), 200)
    [record] = exported["cases"]
    assert record["narrative"] == "The officer at the booth, [REDACTED: b6], was rude to me."
    [amendment] = record["amendments"]
    assert amendment["new_value"] == record["narrative"]
    assert amendment["previous_value"] == "The officer at the booth was rude to me."
    assert "Sam Lee" not in json.dumps(exported)
