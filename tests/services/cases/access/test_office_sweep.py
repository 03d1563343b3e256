"""An officer of one office cannot read or change another office's case by any endpoint.

Outside their office a case answers exactly as a missing one does (404 where their role holds
the permission, else 403, with the same body), so no id or path tells them it exists; the list leaves it out; a link to it is refused as to an
unknown case; the case is left as it was; and each attempt is audited as `denied`.
"""

from typing import Any

import httpx
import pytest

from ombuds_cases.staff.policy import Role
from ombuds_shared.control_numbers import new_control_number

from .conftest import BORDER, DEVELOPMENT, FIELD, Roster, RouteCase, Staffer, ok
from .endpoints import ENDPOINTS, Endpoint, call, prepared_case

SINGLE_CASE = [name for name, endpoint in ENDPOINTS.items() if "{n}" in endpoint.path]


def outsider(roster: Roster, who: str) -> Staffer:
    return {"officer": roster.border_officer, "supervisor": roster.border_supervisor}[who]


def without_number(body: dict[str, Any], number: str) -> dict[str, Any]:
    return {key: str(value).replace(number, "N") for key, value in body.items()}


@pytest.mark.parametrize("who", ["officer", "supervisor"])
@pytest.mark.parametrize("endpoint_name", SINGLE_CASE)
async def test_another_office_case_is_as_missing_and_unchanged(
    client: httpx.AsyncClient,
    roster: Roster,
    case_in: RouteCase,
    endpoint_name: str,
    who: str,
) -> None:
    endpoint: Endpoint = ENDPOINTS[endpoint_name]
    number = await prepared_case(client, case_in, endpoint)
    other = await case_in(BORDER)  # a link target the outsider may reach
    before = ok(await client.get(f"/api/v1/cases/{number}", headers=DEVELOPMENT), 200)
    missing = new_control_number()
    actor = outsider(roster, who)

    response = await call(client, endpoint, number, other, actor.headers)
    absent = await call(client, endpoint, missing, other, actor.headers)

    # A role without the permission is refused for every case alike (403, no case looked at).
    expected = 404 if actor.role in endpoint.allowed else 403
    assert (response.status_code, absent.status_code) == (expected, expected), response.text
    assert without_number(response.json(), number) == without_number(absent.json(), missing)
    after = ok(await client.get(f"/api/v1/cases/{number}", headers=DEVELOPMENT), 200)
    assert after == before
    denied = ok(
        await client.get(
            "/api/v1/audit",
            params={"record_id": number, "outcome": "denied"},
            headers=DEVELOPMENT,
        ),
        200,
    )
    assert [(r["actor"], r["actor_role"]) for r in denied["items"]] == [
        (actor.email, actor.role.value)
    ]


async def test_the_list_leaves_out_another_office_cases(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    field_case, border_case = await case_in(FIELD), await case_in(BORDER)
    officer = roster.border_officer

    mine = ok(await client.get("/api/v1/cases?limit=200", headers=officer.headers), 200)
    asked = ok(
        await client.get("/api/v1/cases?office=field_operations", headers=officer.headers), 200
    )

    listed = {item["control_number"] for item in mine["items"]}
    assert border_case in listed
    assert field_case not in listed
    assert {item["office"] for item in mine["items"]} == {"border_patrol"}
    assert (asked["total"], asked["items"]) == (0, [])


async def test_a_link_to_another_office_case_is_refused_as_unknown(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    own, foreign, missing = await case_in(BORDER), await case_in(FIELD), new_control_number()
    officer = roster.border_officer

    def link(target: str) -> dict[str, str]:
        return {"control_number": target, "relation": "related_to"}

    refused = await client.post(
        f"/api/v1/cases/{own}/links", json=link(foreign), headers=officer.headers
    )
    unknown = await client.post(
        f"/api/v1/cases/{own}/links", json=link(missing), headers=officer.headers
    )

    assert (refused.status_code, unknown.status_code) == (422, 422)
    assert refused.json()["code"] == unknown.json()["code"] == "unknown_case"
    assert ok(await client.get(f"/api/v1/cases/{own}", headers=DEVELOPMENT), 200)["links"] == []


async def test_an_unrouted_case_is_out_of_reach_of_office_bound_staff(
    client: httpx.AsyncClient, roster: Roster, open_case: Any
) -> None:
    number = await open_case()  # received, no office yet

    office_bound = [roster.by_role[r] for r in (Role.CASE_OFFICER, Role.INTAKE_SPECIALIST)]
    answers = [
        (await client.get(f"/api/v1/cases/{number}", headers=s.headers)).status_code
        for s in office_bound
    ]
    agency_wide = await client.get(
        f"/api/v1/cases/{number}", headers=roster.by_role[Role.RECORDS_OFFICER].headers
    )

    assert answers == [404, 404]
    assert agency_wide.status_code == 200
