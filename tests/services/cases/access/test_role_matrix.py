"""Every role against every cases endpoint, as real signed-in staff: the success status where
the role may act, 403 where it may not, 401 without a session.

The expectations are written out by hand in `endpoints.py` (not read from the policy table),
so a change to the table that widens or narrows access shows up as a failing cell. The
office-bound roles sit in the case's own office here; crossing offices is
`test_office_sweep.py`.
"""

import httpx
import pytest

from ombuds_cases.staff.policy import Role

from .conftest import DEVELOPMENT, FIELD, Roster, RouteCase, ok
from .endpoints import ENDPOINTS, call, prepared_case


@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
@pytest.mark.parametrize("role", list(Role))
async def test_role_against_endpoint(
    client: httpx.AsyncClient,
    roster: Roster,
    case_in: RouteCase,
    role: Role,
    endpoint_name: str,
) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    number = await prepared_case(client, case_in, endpoint)
    other = await case_in(FIELD)
    actor = roster.by_role[role]

    response = await call(client, endpoint, number, other, actor.headers)

    if role in endpoint.allowed:
        assert response.status_code == endpoint.success, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
async def test_without_a_session_every_endpoint_answers_401(
    client: httpx.AsyncClient, case_in: RouteCase, endpoint_name: str
) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    number = await case_in(FIELD)

    response = await call(client, endpoint, number, number, {})
    forged = await call(client, endpoint, number, number, {"Authorization": "Bearer forged"})

    assert (response.status_code, forged.status_code) == (401, 401)


@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
async def test_the_development_token_still_reaches_every_endpoint(
    client: httpx.AsyncClient, case_in: RouteCase, endpoint_name: str
) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    number = await prepared_case(client, case_in, endpoint)
    other = await case_in(FIELD)

    response = await call(client, endpoint, number, other, DEVELOPMENT)

    assert response.status_code == endpoint.success, response.text


async def test_a_refused_action_changes_nothing(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    number = await case_in(FIELD)
    before = ok(await client.get(f"/api/v1/cases/{number}", headers=DEVELOPMENT), 200)

    refused = await client.post(
        f"/api/v1/cases/{number}/assignment",
        json={"office": "trade"},
        headers=roster.by_role[Role.CASE_OFFICER].headers,
    )

    assert refused.status_code == 403
    after = ok(await client.get(f"/api/v1/cases/{number}", headers=DEVELOPMENT), 200)
    assert (after["office"], after["updated_at"]) == (before["office"], before["updated_at"])
