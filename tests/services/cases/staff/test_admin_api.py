"""Designating and managing accounts: the whole first-day flow, the rules, paging."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest

from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow

from .conftest import MakeStaff

FIELD = Office.FIELD_OPERATIONS


def new_account(role: str, office: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "email": f"{role}.{uuid.uuid4().hex[:10]}@Agency.Example.gov",
        "name": "Dana Reyes",
        "role": role,
        "office": office,
        "expires_on": (utcnow().date() + timedelta(days=365)).isoformat(),
        **overrides,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_administrator_designates_a_supervisor_who_then_designates_an_officer(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)

    created = await client.post(
        "/api/v1/staff", json=new_account("supervisor", "field_operations"), headers=admin.headers
    )
    assert created.status_code == 201, created.text
    supervisor = created.json()["staff"]
    one_time_password = created.json()["one_time_password"]
    assert supervisor["email"] == supervisor["email"].lower()
    assert supervisor["designated_by"] == admin.id
    assert (supervisor["totp_enrolled"], supervisor["password_must_change"]) == (False, True)

    enrolled = await client.post(f"/api/v1/staff/{supervisor['id']}/totp", headers=admin.headers)
    assert enrolled.status_code == 201
    totp = pyotp.parse_uri(enrolled.json()["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP)
    sign_in = {"email": supervisor["email"], "password": one_time_password, "code": totp.now()}

    # No training yet: the right credentials still open no session.
    untrained = await client.post("/api/v1/staff/session", json=sign_in)
    assert untrained.status_code == 403
    attested = await client.post(
        f"/api/v1/staff/{supervisor['id']}/training",
        json={"completed_on": utcnow().date().isoformat()},
        headers=admin.headers,
    )
    assert attested.status_code == 201

    # That code's step is used up; the next step's code is accepted (±1 step) and is new.
    next_code = totp.at(utcnow() + timedelta(seconds=30))
    signed_in = await client.post("/api/v1/staff/session", json={**sign_in, "code": next_code})
    assert signed_in.status_code == 201, signed_in.text
    token = signed_in.json()["token"]
    replaced = await client.post(
        "/api/v1/staff/me/password",
        json={"current_password": one_time_password, "new_password": "the supervisor's own"},
        headers=bearer(token),
    )
    assert replaced.status_code == 204

    officer = await client.post(
        "/api/v1/staff", json=new_account("case_officer", "field_operations"), headers=bearer(token)
    )
    assert officer.status_code == 201, officer.text
    assert officer.json()["staff"]["designated_by"] == supervisor["id"]
    elsewhere = await client.post(
        "/api/v1/staff", json=new_account("case_officer", "trade"), headers=bearer(token)
    )
    assert elsewhere.status_code == 403
    peer = await client.post(
        "/api/v1/staff", json=new_account("supervisor", "field_operations"), headers=bearer(token)
    )
    assert peer.status_code == 403
    assert peer.json()["detail"] == (
        "A supervisor may not designate a supervisor in field_operations."
    )


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (new_account("case_officer", None), "office", "office_for_role"),
        (new_account("privacy_officer", "privacy"), "office", "office_for_role"),
        (
            new_account("supervisor", "field_operations", expires_on="2020-01-01"),
            "expires_on",
            "not_in_past",
        ),
        (new_account("wizard", None), "role", "enum"),
        (new_account("supervisor", "atlantis"), "office", "enum"),
        (new_account("supervisor", None, email="not an email"), "email", "value_error"),
        (new_account("supervisor", None, password="chosen"), "password", "extra_forbidden"),
    ],
)
async def test_invalid_designations_name_the_field_and_rule(
    client: httpx.AsyncClient, make_staff: MakeStaff, body: dict[str, Any], field: str, rule: str
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)

    response = await client.post("/api/v1/staff", json=body, headers=admin.headers)

    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]


async def test_an_email_is_designated_once(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    body = new_account("records_officer")
    assert (await client.post("/api/v1/staff", json=body, headers=admin.headers)).status_code == 201

    again = await client.post(
        "/api/v1/staff", json={**body, "email": body["email"].upper()}, headers=admin.headers
    )

    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


async def test_a_role_change_takes_effect_on_the_next_request(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    officer = await make_staff(Role.CASE_OFFICER, FIELD)
    assert (await client.get("/api/v1/staff", headers=officer.headers)).status_code == 403

    changed = await client.patch(
        f"/api/v1/staff/{officer.id}", json={"role": "supervisor"}, headers=admin.headers
    )

    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["office"]) == ("supervisor", "field_operations")
    assert (await client.get("/api/v1/staff", headers=officer.headers)).status_code == 200


async def test_an_officer_cannot_lose_their_office(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    officer = await make_staff(Role.CASE_OFFICER, FIELD)

    response = await client.patch(
        f"/api/v1/staff/{officer.id}", json={"office": None}, headers=admin.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "office"


async def test_a_new_totp_enrolment_ends_the_old_sessions(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    officer = await make_staff(Role.CASE_OFFICER, FIELD)
    assert (await client.get("/api/v1/staff/me", headers=officer.headers)).status_code == 200

    enrolled = await client.post(f"/api/v1/staff/{officer.id}/totp", headers=admin.headers)

    assert enrolled.status_code == 201
    assert pyotp.parse_uri(enrolled.json()["otpauth_uri"]).secret != officer.totp_secret
    assert (await client.get("/api/v1/staff/me", headers=officer.headers)).status_code == 401


async def test_an_unknown_account_is_404(client: httpx.AsyncClient, make_staff: MakeStaff) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    response = await client.get(f"/api/v1/staff/{uuid.uuid4().hex}", headers=admin.headers)
    assert response.status_code == 404


async def test_pages_do_not_overlap_and_add_up(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    for _ in range(3):
        await make_staff(Role.INTAKE_SPECIALIST, Office.TRADE, signed_in=False)
    query = {"office": "trade", "role": "intake_specialist"}

    everything = await client.get(
        "/api/v1/staff", params={**query, "limit": 200}, headers=admin.headers
    )
    first = await client.get("/api/v1/staff", params={**query, "limit": 2}, headers=admin.headers)
    second = await client.get(
        "/api/v1/staff", params={**query, "limit": 2, "offset": 2}, headers=admin.headers
    )

    total = everything.json()["total"]
    assert total >= 3
    assert len(everything.json()["items"]) == total
    assert {item["role"] for item in everything.json()["items"]} == {"intake_specialist"}
    assert (first.json()["total"], first.json()["limit"], len(first.json()["items"])) == (
        total,
        2,
        2,
    )
    first_ids = [item["id"] for item in first.json()["items"]]
    second_ids = [item["id"] for item in second.json()["items"]]
    assert not set(first_ids) & set(second_ids)
    assert first_ids + second_ids == [item["id"] for item in everything.json()["items"]][:4]


async def test_a_supervisor_lists_only_their_office(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    supervisor = await make_staff(Role.SUPERVISOR, FIELD)
    await make_staff(Role.CASE_OFFICER, Office.BORDER_PATROL, signed_in=False)

    own = await client.get("/api/v1/staff", params={"limit": 200}, headers=supervisor.headers)
    other = await client.get(
        "/api/v1/staff", params={"office": "border_patrol"}, headers=supervisor.headers
    )

    assert own.status_code == 200
    assert {item["office"] for item in own.json()["items"]} == {"field_operations"}
    assert other.status_code == 403
