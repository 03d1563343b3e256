"""`python -m ombuds_cases.staff create-admin`: the first administrator can sign in and work."""

import asyncio
import re
import uuid

import httpx
import pyotp
import pytest

from ombuds_cases.staff.__main__ import main

from .conftest import SessionFactory


def test_create_admin_prints_password_and_totp_uri_once(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASES_DATABASE_URL", migrated_url)
    email = f"first.admin.{uuid.uuid4().hex[:8]}@agency.example.gov"

    assert main(["create-admin", "--email", email, "--name", "First Admin"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"one-time password: \S{16,}", printed)
    assert "otpauth://totp/" in printed

    assert main(["create-admin", "--email", email.upper(), "--name", "Again"]) == 1
    assert "already exists" in capsys.readouterr().err


async def test_the_bootstrapped_administrator_signs_in_and_designates(
    migrated_url: str,
    session_factory: SessionFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CASES_DATABASE_URL", migrated_url)
    email = f"root.{uuid.uuid4().hex[:8]}@agency.example.gov"
    # main() runs its own event loop, as it does from a shell.
    code = await asyncio.to_thread(main, ["create-admin", "--email", email, "--name", "Root"])
    assert code == 0
    printed = capsys.readouterr().out
    password = re.search(r"one-time password: (\S+)", printed)
    uri = re.search(r"(otpauth://\S+)", printed)
    assert password is not None
    assert uri is not None
    totp = pyotp.parse_uri(uri.group(1))
    assert isinstance(totp, pyotp.TOTP)

    signed_in = await client.post(
        "/api/v1/staff/session",
        json={"email": email, "password": password.group(1), "code": totp.now()},
    )
    assert signed_in.status_code == 201, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    me = await client.get("/api/v1/staff/me", headers=headers)
    assert (me.json()["role"], me.json()["password_must_change"]) == ("administrator", True)
    replaced = await client.post(
        "/api/v1/staff/me/password",
        json={"current_password": password.group(1), "new_password": "root's own passphrase"},
        headers=headers,
    )
    assert replaced.status_code == 204
    listed = await client.get("/api/v1/staff", headers=headers)
    assert listed.status_code == 200
    assert email in {item["email"] for item in listed.json()["items"]}
