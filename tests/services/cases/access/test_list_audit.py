"""A list read and an export are each audited once, naming every case they showed; the audit
search by control number finds them beside the case's own records."""

import csv
import io

import httpx

from .conftest import BORDER, DEVELOPMENT, FIELD, Roster, RouteCase, ok


async def test_a_list_read_is_one_record_naming_the_cases_it_showed(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    mine, foreign = await case_in(BORDER), await case_in(BORDER)
    field_case = await case_in(FIELD)
    officer = roster.border_officer

    page = ok(
        await client.get("/api/v1/cases?limit=200&sort=received_at", headers=officer.headers), 200
    )

    shown = [item["control_number"] for item in page["items"]]
    assert {mine, foreign} <= set(shown)
    found = ok(
        await client.get(
            "/api/v1/audit",
            params={"actor": officer.email, "record_type": "case_list"},
            headers=DEVELOPMENT,
        ),
        200,
    )
    [record] = found["items"]
    assert record["action"] == "read"
    assert record["record_id"] == "/api/v1/cases?limit=200&sort=received_at"
    assert record["fields"] == shown
    # Searching by one of the cases finds the list read too; a case it did not show, not.
    by_case = ok(
        await client.get("/api/v1/audit", params={"record_id": mine}, headers=DEVELOPMENT), 200
    )
    assert ("case_list", officer.email) in {
        (r["record_type"], r["actor"]) for r in by_case["items"]
    }
    other = ok(
        await client.get("/api/v1/audit", params={"record_id": field_case}, headers=DEVELOPMENT),
        200,
    )
    assert officer.email not in {r["actor"] for r in other["items"]}


async def test_an_export_is_csv_and_audited_as_an_export(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    number = await case_in(FIELD)
    supervisor = roster.by_role[roster.border_supervisor.role]

    response = await client.get(
        "/api/v1/cases/export?office=field_operations", headers=supervisor.headers
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    exported = [row["control_number"] for row in rows]
    assert number in exported
    assert "narrative" not in rows[0]
    found = ok(
        await client.get(
            "/api/v1/audit",
            params={"actor": supervisor.email, "action": "export"},
            headers=DEVELOPMENT,
        ),
        200,
    )
    [record] = found["items"]
    assert record["record_type"] == "case_list"
    assert record["fields"] == exported
