"""Sign-in and sessions: TOTP, cookies, lockout, sign-out, the development token."""

from datetime import timedelta
from http.cookies import SimpleCookie

import httpx
import pyotp
import pytest
from sqlalchemy import update

from ombuds_cases.config import Settings
from ombuds_cases.staff import signin
from ombuds_cases.staff.auth import SESSION_COOKIE
from ombuds_cases.staff.credentials import token_hash
from ombuds_cases.staff.errors import SignInRefusedError
from ombuds_cases.staff.models import StaffAccount, StaffSession
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import UnitOfWork, utcnow

from .conftest import PASSWORD, MakeStaff, SessionFactory, Staffer, app_client, platform

FIELD = Office.FIELD_OPERATIONS
STAFF_LIST = "/api/v1/staff"
# Any 32 bytes (base64) but the published development key.
PRODUCTION_ASSERTION_KEY = "S" * 43 + "="


def sign_in_body(staffer: Staffer, **overrides: str) -> dict[str, str]:
    return {"email": staffer.email, "password": PASSWORD, "code": staffer.code(), **overrides}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_sign_in_with_password_and_code_opens_a_session(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD, signed_in=False)

    response = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["staff"]["id"] == staffer.id
    assert body["staff"]["role"] == "supervisor"
    me = await client.get("/api/v1/staff/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["office"] == "field_operations"
    assert "staff.manage" in me.json()["permissions"]
    assert "audit.search" not in me.json()["permissions"]


async def test_the_session_cookie_is_httponly_secure_and_strict(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)

    response = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))

    cookie = SimpleCookie(response.headers["set-cookie"])[SESSION_COOKIE]
    assert cookie.value == response.json()["token"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "strict"


async def test_the_cookie_is_not_secure_only_in_development(
    migrated_url: str, session_factory: SessionFactory, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=platform("development")
    )
    async with app_client(settings, session_factory) as client:
        response = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))
    assert response.status_code == 201
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_the_cookie_alone_authenticates(
    settings: Settings, session_factory: SessionFactory, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD, signed_in=False)
    async with app_client(settings, session_factory, "https://cases") as client:
        signed = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))
        assert signed.status_code == 201
        me = await client.get("/api/v1/staff/me")
        assert me.status_code == 200
        assert me.json()["id"] == staffer.id


async def test_the_cookie_alone_cannot_change_anything_through_the_api(
    settings: Settings, session_factory: SessionFactory, make_staff: MakeStaff
) -> None:
    supervisor = await make_staff(Role.SUPERVISOR, FIELD, signed_in=False)
    officer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    async with app_client(settings, session_factory, "https://cases") as client:
        signed = await client.post("/api/v1/staff/session", json=sign_in_body(supervisor))
        assert signed.status_code == 201

        by_cookie = await client.post(f"/api/v1/staff/{officer.id}/deactivate")
        assert by_cookie.status_code == 403
        assert "Authorization header" in by_cookie.json()["detail"]
        shown = await client.get(f"/api/v1/staff/{officer.id}")
        assert shown.json()["active"] is True

        by_header = await client.post(
            f"/api/v1/staff/{officer.id}/deactivate", headers=bearer(signed.json()["token"])
        )
        assert by_header.status_code == 200


@pytest.mark.parametrize("wrong", ["password", "code", "email"])
async def test_any_wrong_part_is_refused_with_one_message(
    client: httpx.AsyncClient, make_staff: MakeStaff, wrong: str
) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    good_code = staffer.code()
    bad = {
        "password": {"password": PASSWORD + "!"},
        "code": {"code": "000000" if good_code != "000000" else "111111"},
        "email": {"email": "nobody@agency.example.gov"},
    }[wrong]

    response = await client.post("/api/v1/staff/session", json=sign_in_body(staffer, **bad))

    assert response.status_code == 401
    assert response.json() == {
        "detail": "The email, password or code is not right.",
        "code": "sign_in_refused",
    }
    assert "set-cookie" not in response.headers


async def test_a_code_is_good_only_once(client: httpx.AsyncClient, make_staff: MakeStaff) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    body = sign_in_body(staffer)

    first = await client.post("/api/v1/staff/session", json=body)
    replayed = await client.post("/api/v1/staff/session", json=body)

    assert first.status_code == 201
    assert replayed.status_code == 401


@pytest.mark.parametrize(("steps_away", "accepted"), [(-1, True), (1, True), (-2, False)])
async def test_sign_in_accepts_the_adjacent_step_only(
    session_factory: SessionFactory, make_staff: MakeStaff, steps_away: int, accepted: bool
) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    now = utcnow()
    code = pyotp.TOTP(staffer.totp_secret).at(now + timedelta(seconds=30 * steps_away))

    async with UnitOfWork(session_factory) as uow:
        if accepted:
            token, opened, _ = await signin.sign_in(
                uow.session, staffer.email, PASSWORD, code, now, timedelta(hours=1)
            )
            assert opened.token_hash == token_hash(token)
        else:
            with pytest.raises(SignInRefusedError):
                await signin.sign_in(
                    uow.session, staffer.email, PASSWORD, code, now, timedelta(hours=1)
                )


async def test_sign_out_ends_the_session_at_once(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD)
    assert (await client.get(STAFF_LIST, headers=staffer.headers)).status_code == 200

    signed_out = await client.delete("/api/v1/staff/session", headers=staffer.headers)

    assert signed_out.status_code == 204
    assert f"{SESSION_COOKIE}=" in signed_out.headers["set-cookie"]
    after = await client.get(STAFF_LIST, headers=staffer.headers)
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


async def test_an_expired_session_is_refused(
    client: httpx.AsyncClient, make_staff: MakeStaff, session_factory: SessionFactory
) -> None:
    staffer = await make_staff(Role.SUPERVISOR, FIELD)
    async with session_factory() as session:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.staff_id == staffer.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    response = await client.get(STAFF_LIST, headers=staffer.headers)

    assert response.status_code == 401


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(STAFF_LIST)
    assert response.status_code == 401
    assert response.json()["detail"] == "Sign in first: a staff session is required."


async def test_the_development_token_works_in_test_and_development(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(STAFF_LIST, headers=bearer("dev-staff-token"))
    assert response.status_code == 200
    me = await client.get("/api/v1/staff/me", headers=bearer("dev-staff-token"))
    assert me.json()["role"] == "administrator"


async def test_the_development_token_is_refused_in_production(
    migrated_url: str, session_factory: SessionFactory
) -> None:
    settings = Settings(
        database_url=migrated_url,
        dev_staff_token="a-token-someone-left-set",
        staff_assertion_key=PRODUCTION_ASSERTION_KEY,
        run_worker=False,
        platform=platform("production"),
    )
    async with app_client(settings, session_factory) as client:
        response = await client.get(STAFF_LIST, headers=bearer("a-token-someone-left-set"))
    assert response.status_code == 401
    assert response.json()["detail"] == "The development token is refused in production."


def test_production_refuses_the_default_development_token() -> None:
    with pytest.raises(ValueError, match="CASES_DEV_STAFF_TOKEN"):
        Settings(platform=platform("production"), staff_assertion_key=PRODUCTION_ASSERTION_KEY)


async def test_five_wrong_tries_lock_the_account_for_a_while(
    client: httpx.AsyncClient, make_staff: MakeStaff, session_factory: SessionFactory
) -> None:
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    for _ in range(signin.MAX_FAILED_SIGN_INS):
        wrong = await client.post(
            "/api/v1/staff/session", json=sign_in_body(staffer, password="not the password")
        )
        assert wrong.status_code == 401

    # The right credentials get the same answer as a guess while the lock lasts.
    locked = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))
    assert locked.status_code == 401
    async with session_factory() as session:
        account = await session.get(StaffAccount, staffer.id)
        assert account is not None
        assert account.locked_until is not None
        assert account.locked_until > utcnow() + signin.LOCKOUT - timedelta(minutes=1)
        account.locked_until = utcnow() - timedelta(seconds=1)
        await session.commit()

    # Once it has passed, the right credentials work again (a locked attempt spends no code).
    unlocked = await client.post("/api/v1/staff/session", json=sign_in_body(staffer))
    assert unlocked.status_code == 201, unlocked.text
