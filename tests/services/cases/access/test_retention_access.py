"""Legal holds and the retention records as real signed-in staff of every role: only the
records officer and the administrator place or lift a hold; the records officer, privacy
officer and administrator read the schedule; everyone else is refused with 403."""

import httpx
import pytest

from ombuds_cases.staff.policy import Role

from .conftest import DEVELOPMENT, FIELD, Roster, RouteCase, ok

R = Role
HOLDERS = frozenset({R.RECORDS_OFFICER, R.ADMINISTRATOR})
READERS = frozenset({R.RECORDS_OFFICER, R.PRIVACY_OFFICER, R.ADMINISTRATOR})
CLOSE = {"reason": "answered", "disposition": "information_provided"}


async def closed_case(client: httpx.AsyncClient, case_in: RouteCase) -> str:
    number = await case_in(FIELD)
    ok(await client.post(f"/api/v1/cases/{number}/close", json=CLOSE, headers=DEVELOPMENT), 200)
    return number


def expect(response: httpx.Response, allowed: bool, success: int) -> None:
    if allowed:
        assert response.status_code == success, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", list(Role))
async def test_placing_and_lifting_a_hold(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase, role: Role
) -> None:
    number = await closed_case(client, case_in)
    headers = roster.by_role[role].headers

    placed = await client.post(
        f"/api/v1/cases/{number}/holds", json={"reason": "litigation"}, headers=headers
    )
    expect(placed, role in HOLDERS, 201)
    if role not in HOLDERS:  # a hold to lift, placed by someone who may
        ok(
            await client.post(
                f"/api/v1/cases/{number}/holds", json={"reason": "x" * 5}, headers=DEVELOPMENT
            ),
            201,
        )
    lifted = await client.post(
        f"/api/v1/cases/{number}/holds/lift", json={"reason": "settled"}, headers=headers
    )
    expect(lifted, role in HOLDERS, 200)
    if role in HOLDERS:
        assert lifted.json()[0]["placed_by"] == roster.by_role[role].email


@pytest.mark.parametrize("role", list(Role))
async def test_reading_a_case_retention_and_a_missing_certificate(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase, role: Role
) -> None:
    number = await closed_case(client, case_in)
    headers = roster.by_role[role].headers

    # No run has started (Temporal is unreachable here): 404 for readers, 403 for the rest.
    schedule = await client.get(f"/api/v1/cases/{number}/retention", headers=headers)
    certificate = await client.get("/api/v1/retention/certificates/nope", headers=headers)

    expect(schedule, role in READERS, 404)
    expect(certificate, role in READERS, 404)


async def test_without_a_session_holds_answer_401(
    client: httpx.AsyncClient, case_in: RouteCase
) -> None:
    number = await closed_case(client, case_in)

    response = await client.post(f"/api/v1/cases/{number}/holds", json={"reason": "litigation"})

    assert response.status_code == 401
