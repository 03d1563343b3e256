"""Amendment requests (552a(d)(2)): an accepted correction is appended, never overwriting the
original, announced naming every earlier recipient, and each recipient accounted as told
(552a(c)(4)); a denial keeps the record and states the right to disagree."""

import json
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import Amendment
from ombuds_cases.models import Case, OutboxRecord
from ombuds_cases.privacy.models import AmendmentRequest
from ombuds_shared.events import CASE_RECORD_AMENDED_V1

from ..conftest import OpenCase
from .conftest import PASSPORT, NewRequest, Person, ok

Sessions = async_sessionmaker[AsyncSession]


def amendment(number: str, **overrides: Any) -> dict[str, Any]:
    return {
        "control_number": number,
        "requester_name": "Lucía Gómez",
        "field": "contact.email",
        "requested_value": "lucia.new@example.org",
        "justification": "I no longer use the old address.",
        "received_on": "2026-11-20",
        **overrides,
    }


async def _case(sessions: Sessions, number: str) -> Case:
    async with sessions() as session:
        case = await session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        return case


async def test_an_accepted_correction_is_appended_announced_and_accounted(
    client: httpx.AsyncClient, person: Person, session_factory: Sessions, new_request: NewRequest
) -> None:
    number = person.cases[0]
    created = ok(await client.post("/api/v1/privacy/amendments", json=amendment(number)), 201)
    assert created["status"] == "pending"
    assert created["acknowledge_by"] == "2026-12-07"  # 10 business days, Thanksgiving skipped
    decision = {"decision": "accept", "reason": "The requester showed the new address."}
    url = f"/api/v1/privacy/amendments/{created['id']}/decision"
    decided = ok(await client.post(url, json=decision), 200)
    assert decided["status"] == "accepted"
    assert decided["statement_of_disagreement"] is None
    assert decided["notified"] == ["Department of State"]

    case = await _case(session_factory, number)
    assert case.contact_email == "lucia.new@example.org"
    async with session_factory() as session:
        [appended] = (
            await session.scalars(select(Amendment).where(Amendment.case_id == case.id))
        ).all()
        events = (
            await session.scalars(
                select(OutboxRecord).where(
                    OutboxRecord.message_key == number,
                    OutboxRecord.event_type == CASE_RECORD_AMENDED_V1,
                )
            )
        ).all()
    assert (appended.previous_value, appended.new_value) == (person.email, "lucia.new@example.org")
    assert appended.amendment_id == decided["amendment_id"]
    [event] = events
    body = json.loads(event.payload)["data"]
    assert body["field"] == "contact.email"
    assert [r["name"] for r in body["recipients"]] == ["Department of State"]

    accounting = ok(await client.get(f"/api/v1/cases/{number}/disclosures"), 200)
    [notice] = [d for d in accounting if d["source"] == "correction"]
    assert notice["recipient_name"] == "Department of State"
    assert "552a(c)(4)" in notice["purpose"]

    # Found by the new address, and still by the old one the amendment keeps.
    rid = (await new_request())["id"]
    for email in ("lucia.new@example.org", person.email):
        found = ok(
            await client.post(f"/api/v1/privacy/requests/{rid}/search", json={"email": email}),
            200,
        )
        assert number in {c["control_number"] for c in found}

    again = await client.post(url, json=decision)
    assert again.status_code == 409


async def test_a_denial_changes_nothing_and_states_the_right_to_disagree(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await open_case()
    body = amendment(number, field="incident.narrative", requested_value="I waited one hour.")
    created = ok(await client.post("/api/v1/privacy/amendments", json=body), 201)
    decision = {"decision": "deny", "reason": "The port's records show a six-hour wait."}
    url = f"/api/v1/privacy/amendments/{created['id']}/decision"
    denied = ok(await client.post(url, json=decision), 200)
    assert denied["status"] == "denied"
    assert denied["decision_reason"] == decision["reason"]
    assert "statement" in denied["statement_of_disagreement"]
    assert denied["amendment_id"] is None
    assert denied["notified"] == []
    case = await _case(session_factory, number)
    assert case.narrative == "I waited six hours at the port."
    listed = ok(await client.get("/api/v1/privacy/amendments", params={"status": "denied"}), 200)
    assert created["id"] in {r["id"] for r in listed}
    timeline = ok(await client.get(f"/api/v1/cases/{number}/timeline"), 200)
    assert "amendment_denied" in json.dumps(timeline)


async def test_an_identity_number_asked_for_is_sealed_until_applied(
    client: httpx.AsyncClient, person: Person, session_factory: Sessions
) -> None:
    number = person.cases[0]
    body = amendment(number, field="identity.passport_number", requested_value="Y11112222")
    created = ok(await client.post("/api/v1/privacy/amendments", json=body), 201)
    assert created["requested_value"] != "Y11112222"
    async with session_factory() as session:
        row = await session.get(AmendmentRequest, created["id"])
        assert row is not None
        assert "Y11112222" not in json.dumps(row.requested_value)
    url = f"/api/v1/privacy/amendments/{created['id']}/decision"
    ok(await client.post(url, json={"decision": "accept", "reason": "passport renewed"}), 200)
    revealed = ok(
        await client.post(
            f"/api/v1/cases/{number}/reveal", json={"fields": ["identity.passport_number"]}
        ),
        200,
    )
    assert revealed["values"]["identity.passport_number"] == "Y11112222"
    async with session_factory() as session:
        [appended] = (
            await session.scalars(
                select(Amendment).where(Amendment.amendment_id == f"privacy-{created['id']}")
            )
        ).all()
    assert PASSPORT not in json.dumps(appended.previous_value)  # sealed, not clear


async def test_an_amendment_request_is_validated(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    bad = await client.post(
        "/api/v1/privacy/amendments", json=amendment(number, field="status", justification="")
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"field", "justification"}
    missing = await client.post("/api/v1/privacy/amendments", json=amendment("OMB-nope"))
    assert missing.status_code == 422
    assert (await client.get("/api/v1/privacy/amendments/999999")).status_code == 404
