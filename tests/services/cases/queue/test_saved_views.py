"""Saved views: each staff member saves, lists, reads and deletes only their own."""

import uuid
from typing import Any

import httpx
import pytest

from ombuds_cases.staff.policy import Office, Role

from ..conftest import OpenCase
from ..staff.conftest import MakeStaff, Staffer


def view_body(name: str, **query: Any) -> dict[str, Any]:
    return {"name": name, "query": query}


@pytest.fixture
async def officer(make_staff: MakeStaff) -> Staffer:
    return await make_staff(Role.CASE_OFFICER, Office.TRADE)


@pytest.fixture
async def other_officer(make_staff: MakeStaff) -> Staffer:
    return await make_staff(Role.CASE_OFFICER, Office.TRADE)


async def test_a_saved_view_runs_as_the_queue_query_it_names(
    client: httpx.AsyncClient, officer: Staffer, open_case: OpenCase
) -> None:
    category = f"cat-{uuid.uuid4().hex[:8]}"
    tip = await open_case(category=category, kind="tip")
    await open_case(category=category, kind="complaint")
    body = view_body("My tips", category=category, kind="tip", sort="received_at", order="asc")

    created = await client.post("/api/v1/views", json=body, headers=officer.headers)

    assert created.status_code == 201, created.text
    view = created.json()
    assert view["name"] == "My tips"
    assert view["query"]["kind"] == "tip"
    assert view["query"]["sort"] == "received_at"
    queue = await client.get(f"/api/v1/cases?{view['query_string']}")
    assert [item["control_number"] for item in queue.json()["items"]] == [tip]
    listed = await client.get("/api/v1/views", headers=officer.headers)
    assert [v["id"] for v in listed.json()["items"]] == [view["id"]]
    read = await client.get(f"/api/v1/views/{view['id']}", headers=officer.headers)
    assert read.json() == view


async def test_views_are_listed_by_name_and_only_to_their_owner(
    client: httpx.AsyncClient, officer: Staffer, other_officer: Staffer
) -> None:
    for name in ("Overdue", "Assigned to me"):
        response = await client.post(
            "/api/v1/views", json=view_body(name, overdue=True), headers=officer.headers
        )
        assert response.status_code == 201, response.text
    theirs = await client.post(
        "/api/v1/views", json=view_body("Overdue", status="triage"), headers=other_officer.headers
    )
    assert theirs.status_code == 201, theirs.text

    mine = (await client.get("/api/v1/views", headers=officer.headers)).json()["items"]
    others = (await client.get("/api/v1/views", headers=other_officer.headers)).json()["items"]
    assert [v["name"] for v in mine] == ["Assigned to me", "Overdue"]
    assert [(v["name"], v["query"]["status"]) for v in others] == [("Overdue", "triage")]


async def test_a_name_is_unique_per_owner(client: httpx.AsyncClient, officer: Staffer) -> None:
    first = await client.post("/api/v1/views", json=view_body("Mine"), headers=officer.headers)
    again = await client.post(
        "/api/v1/views", json=view_body("Mine", kind="tip"), headers=officer.headers
    )
    assert first.status_code == 201
    assert again.status_code == 409
    assert "Mine" in again.text


async def test_someone_elses_view_cannot_be_read_or_deleted(
    client: httpx.AsyncClient, officer: Staffer, other_officer: Staffer
) -> None:
    created = await client.post("/api/v1/views", json=view_body("Private"), headers=officer.headers)
    view_id = created.json()["id"]

    read = await client.get(f"/api/v1/views/{view_id}", headers=other_officer.headers)
    deleted = await client.delete(f"/api/v1/views/{view_id}", headers=other_officer.headers)

    assert (read.status_code, deleted.status_code) == (404, 404)
    still = await client.get(f"/api/v1/views/{view_id}", headers=officer.headers)
    assert still.status_code == 200


async def test_the_owner_deletes_a_view(client: httpx.AsyncClient, officer: Staffer) -> None:
    created = await client.post("/api/v1/views", json=view_body("Gone"), headers=officer.headers)
    view_id = created.json()["id"]

    deleted = await client.delete(f"/api/v1/views/{view_id}", headers=officer.headers)

    assert deleted.status_code == 204
    assert (
        await client.get(f"/api/v1/views/{view_id}", headers=officer.headers)
    ).status_code == 404
    listed = (await client.get("/api/v1/views", headers=officer.headers)).json()["items"]
    assert view_id not in [v["id"] for v in listed]


async def test_views_need_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/views", headers={"Authorization": "Bearer not-a-session"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (view_body("", kind="tip"), "name", "string_too_short"),
        (view_body("x", sort="narrative"), "query.sort", "literal_error"),
        (view_body("x", office="narnia"), "query.office", "enum"),
        (view_body("x", colour="red"), "query.colour", "extra_forbidden"),
        (
            view_body("x", received_from="2026-03-02", received_to="2026-03-01"),
            "query",
            "date_range",
        ),
    ],
)
async def test_bad_views_name_the_field_and_rule(
    client: httpx.AsyncClient, officer: Staffer, body: dict[str, Any], field: str, rule: str
) -> None:
    response = await client.post("/api/v1/views", json=body, headers=officer.headers)
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]
