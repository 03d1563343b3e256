"""Staff actions through the HTTP API on a real database (SQLite and PostgreSQL)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal
from ombuds_shared.control_numbers import new_control_number

from .conftest import OpenCase, outbox_types

SessionFactory = async_sessionmaker[AsyncSession]


def field_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


async def pending_signals(session_factory: SessionFactory, number: str) -> list[tuple[str, Any]]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(PendingSignal)
            .where(PendingSignal.control_number == number)
            .order_by(PendingSignal.id)
        )
        return [(row.signal, row.payload) for row in rows]


async def post(client: httpx.AsyncClient, number: str, action: str, body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/cases/{number}/{action}", json=body)


async def test_a_note_is_kept_in_the_case_timeline_and_announced(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()

    response = await post(client, number, "notes", {"stage": "review", "text": " Called CBP. "})

    assert response.status_code == 201, response.text
    [note] = response.json()["notes"]
    assert (note["stage"], note["text"], note["author"]) == ("review", "Called CBP.", "development")
    timeline = (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    assert [entry["kind"] for entry in timeline] == ["opened", "note_added"]
    assert timeline[1]["data"] == {"note_id": note["id"], "stage": "review"}
    assert await outbox_types(session_factory, number) == [
        "ombuds.case.opened.v1",
        "ombuds.case.note-added.v1",
    ]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"stage": "lunch", "text": "x"}, "stage", "literal_error"),
        ({"stage": "intake", "text": "   "}, "text", "string_too_short"),
        ({"stage": "intake"}, "text", "missing"),
        ({"stage": "intake", "text": "x", "author": "me"}, "author", "extra_forbidden"),
    ],
)
async def test_a_bad_note_names_the_field_and_the_rule(
    client: httpx.AsyncClient, open_case: OpenCase, body: Any, field: str, rule: str
) -> None:
    number = await open_case()
    assert field_errors(await post(client, number, "notes", body)) == {field: rule}


async def test_assigning_a_new_case_moves_it_to_assigned(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()

    response = await post(
        client, number, "assignment", {"office": "border_patrol", "assignee": "officer.kim"}
    )

    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["office"], case["assignee"], case["status"]) == (
        "border_patrol",
        "officer.kim",
        "assigned",
    )
    assert [c["to_status"] for c in case["status_history"]] == ["received", "assigned"]
    assert await outbox_types(session_factory, number) == [
        "ombuds.case.opened.v1",
        "ombuds.case.assigned.v1",
        "ombuds.case.status-changed.v1",
    ]


async def test_an_unknown_office_is_refused_by_name(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    response = await post(client, number, "assignment", {"office": "narnia"})
    assert field_errors(response) == {"office": "enum"}


async def test_priority_and_tags(client: httpx.AsyncClient, open_case: OpenCase) -> None:
    number = await open_case()

    await post(client, number, "priority", {"priority": "urgent"})
    response = await client.put(
        f"/api/v1/cases/{number}/tags", json={"tags": ["wait-time", "san-ysidro", "wait-time"]}
    )

    case = response.json()
    assert (case["priority"], case["tags"]) == ("urgent", ["san-ysidro", "wait-time"])
    kinds = [
        e["kind"] for e in (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    ]
    assert kinds == ["opened", "priority_changed", "tags_changed"]
    assert field_errors(await post(client, number, "priority", {"priority": "asap"})) == {
        "priority": "literal_error"
    }
    bad_tag = await client.put(f"/api/v1/cases/{number}/tags", json={"tags": ["Not A Tag"]})
    assert field_errors(bad_tag) == {"tags.0": "string_pattern_mismatch"}


async def test_links_to_duplicate_and_related_cases(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number, original, related = await open_case(), await open_case(), await open_case()

    await post(client, number, "links", {"control_number": original, "relation": "duplicate_of"})
    response = await post(
        client, number, "links", {"control_number": related.lower(), "relation": "related_to"}
    )

    assert response.status_code == 201, response.text
    assert [
        (link["linked_control_number"], link["relation"]) for link in response.json()["links"]
    ] == [(original, "duplicate_of"), (related, "related_to")]
    again = await post(
        client, number, "links", {"control_number": original, "relation": "duplicate_of"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_done"


async def test_a_link_must_point_at_another_existing_case(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    unknown = await post(
        client, number, "links", {"control_number": new_control_number(), "relation": "related_to"}
    )
    to_itself = await post(
        client, number, "links", {"control_number": number, "relation": "related_to"}
    )
    mistyped = await post(
        client, number, "links", {"control_number": "OMB-XXXX", "relation": "related_to"}
    )
    for response, code in ((unknown, "unknown_case"), (to_itself, "self_link")):
        assert response.status_code == 422
        assert response.json()["code"] == code
        assert response.json()["detail"].startswith("control_number:")
    assert field_errors(mistyped) == {"control_number": "value_error"}


async def test_source_pointers_hold_a_reference_not_a_copy(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    body = {"system": "TECS", "reference_id": "P1234567"}

    response = await post(client, number, "source-pointers", body)

    assert response.status_code == 201
    [pointer] = response.json()["source_pointers"]
    assert (pointer["system"], pointer["reference_id"]) == ("TECS", "P1234567")
    assert set(pointer) == {"system", "reference_id", "created_at"}
    assert (await post(client, number, "source-pointers", body)).status_code == 409
    bad = await post(client, number, "source-pointers", {"system": "", "reference_id": "x"})
    assert field_errors(bad) == {"system": "string_pattern_mismatch"}


async def test_findings_disposition_close_and_reopen(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    url = f"/api/v1/cases/{number}"

    await client.put(f"{url}/findings", json={"findings": "Wait was due to a system outage."})
    without = await post(client, number, "close", {"reason": "answered"})
    assert without.status_code == 422
    assert without.json()["code"] == "disposition_required"
    assert "disposition" in without.json()["detail"]
    bad = await client.put(f"{url}/disposition", json={"disposition": "meh"})
    assert field_errors(bad) == {"disposition": "literal_error"}

    closed = await post(
        client, number, "close", {"reason": "answered", "disposition": "resolved_with_explanation"}
    )

    assert closed.status_code == 200, closed.text
    case = closed.json()
    assert (case["status"], case["disposition"]) == ("closed", "resolved_with_explanation")
    assert case["findings"] == "Wait was due to a system outage."
    assert case["closed_at"] is not None
    refused = await post(client, number, "assignment", {"office": "privacy"})
    assert (refused.status_code, refused.json()["code"]) == (409, "case_settled")
    assert (
        await post(client, number, "notes", {"stage": "resolution", "text": "ok"})
    ).status_code == 201

    reopened = await post(client, number, "reopen", {"reason": "submitter wrote back"})

    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["disposition"]) == ("triage", None)
    assert [c["to_status"] for c in reopened.json()["status_history"]] == [
        "received",
        "closed",
        "triage",
    ]
    again = await post(client, number, "reopen", {"reason": "twice"})
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    assert "triage" in again.json()["detail"]
    types = await outbox_types(session_factory, number)
    assert types[1:] == [
        "ombuds.case.findings-recorded.v1",
        "ombuds.case.disposition-set.v1",
        "ombuds.case.status-changed.v1",
        "ombuds.case.closed.v1",
        "ombuds.case.note-added.v1",
        "ombuds.case.status-changed.v1",
        "ombuds.case.reopened.v1",
    ]
    # The workflow is told after commit and records nothing itself (the API already did).
    assert await pending_signals(session_factory, number) == [
        ("close_case", {"reason": "answered", "already_recorded": True}),
        ("reopen_case", {"reason": "submitter wrote back", "already_recorded": True}),
    ]


async def test_an_illegal_status_change_names_both_statuses(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()

    response = await post(client, number, "status", {"status": "referred", "reason": "CBP"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "A case in status received cannot become referred.",
        "code": "illegal_transition",
    }
    moved = await post(client, number, "status", {"status": "triage", "reason": "look"})
    assert moved.json()["status"] == "triage"
    closing = await post(client, number, "status", {"status": "closed", "reason": "x"})
    assert field_errors(closing) == {"status": "literal_error"}


async def test_staff_can_record_a_withdrawal_until_the_case_is_closed(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number, closed = await open_case(), await open_case()

    response = await post(client, number, "withdraw", {"reason": "caller withdrew by phone"})

    case = response.json()
    assert (case["status"], case["disposition"]) == ("withdrawn", "withdrawn_by_submitter")
    assert await pending_signals(session_factory, number) == [
        ("withdraw_case", {"reason": "caller withdrew by phone", "already_recorded": True})
    ]
    await post(client, closed, "close", {"reason": "done", "disposition": "duplicate"})
    refused = await post(client, closed, "withdraw", {"reason": "too late"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "A case in status closed cannot become withdrawn."


async def test_unknown_mistyped_and_unauthenticated(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    unknown = await post(client, new_control_number(), "notes", {"stage": "intake", "text": "x"})
    assert unknown.status_code == 404
    typo = number[:-1] + ("Z" if number[-1] != "Z" else "Y")
    mistyped = await post(client, typo, "notes", {"stage": "intake", "text": "x"})
    assert mistyped.status_code == 422
    anonymous = await client.post(
        f"/api/v1/cases/{number}/notes",
        json={"stage": "intake", "text": "x"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert anonymous.status_code == 401
