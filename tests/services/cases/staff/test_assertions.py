"""`POST /api/v1/staff/me/assertion`: a signed-in member gets a short-lived signed token naming
their role, permissions and office, which verifies with the published public key."""

from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from ombuds_cases.config import Settings
from ombuds_cases.staff import assertions
from ombuds_cases.staff.__main__ import main as staff_command
from ombuds_cases.staff.auth import SESSION_COOKIE
from ombuds_cases.staff.policy import Office, Role, StaffActor
from ombuds_shared.db import utcnow
from ombuds_shared.staff_assertions import (
    DEVELOPMENT_PUBLIC_KEY,
    load_public_key,
    verify_assertion,
)

from .conftest import MakeStaff, platform

ASSERTION = "/api/v1/staff/me/assertion"


async def test_an_administrator_gets_the_directory_permission_and_nothing_of_cases(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    response = await client.post(ASSERTION, json={}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    found = verify_assertion(
        body["assertion"], load_public_key(DEVELOPMENT_PUBLIC_KEY), "referrals", utcnow()
    )
    assert found.username == admin.email
    assert found.roles == ("administrator",)
    assert "directory.manage" in found.permissions
    assert "referral.manage" not in found.permissions
    assert "case.read" not in found.permissions
    assert found.office is None
    assert found.expires_at - found.issued_at == timedelta(minutes=5)


async def test_a_case_officer_gets_referral_permission_and_their_office(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    officer = await make_staff(Role.CASE_OFFICER, Office.TRADE)
    response = await client.post(ASSERTION, json={}, headers=officer.headers)
    found = verify_assertion(
        response.json()["assertion"],
        load_public_key(DEVELOPMENT_PUBLIC_KEY),
        "referrals",
        utcnow(),
    )
    assert found.office == "trade"
    assert "referral.manage" in found.permissions
    assert "directory.manage" not in found.permissions


async def test_no_assertion_without_a_working_session(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    assert (await client.post(ASSERTION, json={})).status_code == 401
    untrained = await make_staff(Role.ADMINISTRATOR, untrained=True)
    refused = await client.post(ASSERTION, json={}, headers=untrained.headers)
    assert refused.status_code == 403
    # The session cookie alone cannot ask for one: another site could make a browser post.
    admin = await make_staff(Role.ADMINISTRATOR)
    assert admin.token is not None
    client.cookies.set(SESSION_COOKIE, admin.token)
    assert (await client.post(ASSERTION, json={})).status_code == 403


async def test_only_the_referrals_audience_is_issued(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)
    response = await client.post(ASSERTION, json={"audience": "intake"}, headers=admin.headers)
    assert response.status_code == 422
    assert "audience" in response.text


def test_production_refuses_the_development_signing_key_and_a_bad_one() -> None:
    production = platform("production")
    with pytest.raises(ValueError, match="set CASES_STAFF_ASSERTION_KEY"):
        Settings(platform=production, dev_staff_token="a-real-staff-token")
    with pytest.raises(ValueError, match="must be 32 bytes"):
        Settings(staff_assertion_key=SecretStr("dG9vIHNob3J0"))
    settings = Settings(
        platform=production,
        dev_staff_token="a-real-staff-token",
        staff_assertion_key=SecretStr("S" * 43 + "="),
    )
    assert settings.staff_assertion_key.get_secret_value() == "S" * 43 + "="


def test_the_assertion_key_command_prints_a_pair_that_verifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert staff_command(["assertion-key"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    private, public = (
        printed["CASES_STAFF_ASSERTION_KEY"],
        printed["REFERRALS_STAFF_ASSERTION_PUBLIC_KEY"],
    )
    actor = StaffActor("id", "admin@agency.example.gov", "A", Role.ADMINISTRATOR, None)
    now = utcnow()
    token = assertions.issue(private, actor, "referrals", now, timedelta(minutes=5))
    assert verify_assertion(token, load_public_key(public), "referrals", now).username == (
        "admin@agency.example.gov"
    )
    assert public != DEVELOPMENT_PUBLIC_KEY
