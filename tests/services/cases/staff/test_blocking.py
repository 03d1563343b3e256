"""Blocked accounts: deactivation, privacy training (a year), expiry, the one-time password."""

from datetime import timedelta

import httpx
from sqlalchemy import update

from ombuds_cases.staff.models import StaffAccount, TrainingAttestation
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow

from .conftest import PASSWORD, MakeStaff, SessionFactory, Staffer

FIELD = Office.FIELD_OPERATIONS
STAFF_LIST = "/api/v1/staff"


def sign_in_body(staffer: Staffer, **overrides: str) -> dict[str, str]:
    return {"email": staffer.email, "password": PASSWORD, "code": staffer.code(), **overrides}


async def test_deactivation_refuses_the_next_request_of_an_open_session(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    officer = await make_staff(Role.CASE_OFFICER, FIELD)
    assert (await client.get("/api/v1/staff/me", headers=officer.headers)).status_code == 200

    deactivated = await client.post(f"/api/v1/staff/{officer.id}/deactivate", headers=admin.headers)

    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False
    refused = await client.get("/api/v1/staff/me", headers=officer.headers)
    assert refused.status_code == 401
    again = await client.post(
        "/api/v1/staff/session",
        json={"email": officer.email, "password": PASSWORD, "code": officer.code()},
    )
    assert again.status_code == 403
    assert again.json()["detail"] == "This account has been deactivated."


async def test_training_attested_366_days_ago_blocks_sign_in(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(
        Role.SUPERVISOR, FIELD, trained_on=utcnow().date() - timedelta(days=366), signed_in=False
    )

    response = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))

    assert response.status_code == 403
    assert "more than a year old" in response.json()["detail"]
    assert "set-cookie" not in response.headers


async def test_training_lapsing_blocks_an_open_session(
    client: httpx.AsyncClient, make_staff: MakeStaff, session_factory: SessionFactory
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD)

    async def set_trained(days_ago: int) -> None:
        async with session_factory() as session:
            await session.execute(
                update(TrainingAttestation)
                .where(TrainingAttestation.staff_id == staffer.id)
                .values(completed_on=utcnow().date() - timedelta(days=days_ago))
            )
            await session.commit()

    await set_trained(365)
    assert (await client.get(STAFF_LIST, headers=staffer.headers)).status_code == 200

    await set_trained(366)
    blocked = await client.get(STAFF_LIST, headers=staffer.headers)
    assert blocked.status_code == 403
    assert "privacy-training attestation" in blocked.json()["detail"]
    me = await client.get("/api/v1/staff/me", headers=staffer.headers)
    assert me.status_code == 200
    assert "more than a year old" in me.json()["blocked_reason"]
    assert me.json()["permissions"] == []


async def test_an_account_without_training_is_blocked_until_attested(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    supervisor = await make_staff(Role.SUPERVISOR, FIELD)
    officer = await make_staff(Role.SUPERVISOR, None, untrained=True)
    blocked = await client.get(STAFF_LIST, headers=officer.headers)
    assert blocked.status_code == 403
    assert "No privacy-training attestation" in blocked.json()["detail"]

    # A supervisor of Field Operations may not attest an agency-wide supervisor; an admin may.
    admin = await make_staff(Role.ADMINISTRATOR)
    today = utcnow().date().isoformat()
    refused = await client.post(
        f"/api/v1/staff/{officer.id}/training",
        json={"completed_on": today},
        headers=supervisor.headers,
    )
    assert refused.status_code == 403
    attested = await client.post(
        f"/api/v1/staff/{officer.id}/training",
        json={"completed_on": today, "course": "General Privacy Awareness Course"},
        headers=admin.headers,
    )
    assert attested.status_code == 201, attested.text
    assert attested.json()["attested_by"] == admin.id
    assert (await client.get(STAFF_LIST, headers=officer.headers)).status_code == 200


async def test_training_cannot_be_attested_in_the_future(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    officer = await make_staff(Role.CASE_OFFICER, FIELD)
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()

    response = await client.post(
        f"/api/v1/staff/{officer.id}/training",
        json={"completed_on": tomorrow},
        headers=admin.headers,
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("completed_on", "not_in_future")


async def test_an_expired_account_is_blocked(
    client: httpx.AsyncClient, make_staff: MakeStaff, session_factory: SessionFactory
) -> None:
    today = utcnow().date()
    staffer = await make_staff(Role.SUPERVISOR, FIELD, expires_on=today)
    assert (await client.get(STAFF_LIST, headers=staffer.headers)).status_code == 200

    async with session_factory() as session:
        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == staffer.id)
            .values(expires_on=today - timedelta(days=1))
        )
        await session.commit()

    blocked = await client.get(STAFF_LIST, headers=staffer.headers)
    assert blocked.status_code == 403
    assert blocked.json()["detail"].startswith("This account expired on ")
    sign_in = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))
    assert sign_in.status_code == 403


async def test_the_one_time_password_must_be_replaced_first(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD, password_must_change=True)
    blocked = await client.get(STAFF_LIST, headers=staffer.headers)
    assert blocked.status_code == 403
    assert "one-time password" in blocked.json()["detail"]

    short = await client.post(
        "/api/v1/staff/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=staffer.headers,
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "new_password"
    wrong = await client.post(
        "/api/v1/staff/me/password",
        json={"current_password": "not it", "new_password": "a brand new passphrase"},
        headers=staffer.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    changed = await client.post(
        "/api/v1/staff/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=staffer.headers,
    )
    assert changed.status_code == 204
    assert (await client.get(STAFF_LIST, headers=staffer.headers)).status_code == 200
