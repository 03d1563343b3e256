"""Issue 4, done when: tried as a new user would, on the running slice (intake, cases,
notifications, the workflow worker, Kafka, Temporal, SMTP).

An administrator (from `create-admin`) designates a supervisor, officers in two offices and an
auditor, and attests their training; the supervisor triages and assigns a case; the officer
works it with notes and a request for information that the submitter answers on the portal's
reply page; the case is closed and reopened. The auditor then finds every one of those reads
and changes in the audit search, and `verify` passes until a row is altered by hand.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
from sqlalchemy import select, text

from ombuds_intake.models import OutboxRecord as IntakeOutbox
from ombuds_shared.db import create_engine, create_session_factory, utcnow
from ombuds_shared.events import VERIFICATIONS_TOPIC, CloudEvent
from support.infra import Infra
from support.portal import read_page
from support.system import System, eventually, running_system, sqlite_urls

EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"
PASSWORD = "a long passphrase nobody guesses"
REPLY_LINK = re.compile(r"https://intake(/manage/[A-Z0-9-]+/reply/[0-9a-f]{32})")
# The portal's bot check refuses a form sent faster than this after it was shown.
FILL_SECONDS = 2.1


def run_module(
    module: str, args: Sequence[str], database_url: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASES_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(response: httpx.Response, expected: int) -> Any:
    assert response.status_code == expected, response.text
    return response.json() if response.content else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(cases: httpx.AsyncClient, email: str, password: str, secret: str) -> str:
    """Sign in with password and TOTP; a one-time password is replaced first. The token."""
    signed = ok(
        await cases.post(
            "/api/v1/staff/session",
            json={"email": email, "password": password, "code": pyotp.TOTP(secret).now()},
        ),
        201,
    )
    cases.cookies.clear()
    token: str = signed["token"]
    if password != PASSWORD:
        change = {"current_password": password, "new_password": PASSWORD}
        ok(await cases.post("/api/v1/staff/me/password", json=change, headers=bearer(token)), 204)
    return token


async def designate(
    cases: httpx.AsyncClient, admin: str, name: str, role: str, office: str | None
) -> tuple[str, str]:
    """The administrator designates an account, enrols its TOTP and attests its training;
    the new member signs in. Their email and session token."""
    email = f"{name.lower()}@agency.example.gov"
    created = ok(
        await cases.post(
            "/api/v1/staff",
            json={
                "email": email,
                "name": name,
                "role": role,
                "office": office,
                "expires_on": (utcnow().date() + timedelta(days=365)).isoformat(),
            },
            headers=bearer(admin),
        ),
        201,
    )
    staff_id = created["staff"]["id"]
    enrolled = ok(await cases.post(f"/api/v1/staff/{staff_id}/totp", headers=bearer(admin)), 201)
    training = {"completed_on": utcnow().date().isoformat()}
    ok(
        await cases.post(
            f"/api/v1/staff/{staff_id}/training", json=training, headers=bearer(admin)
        ),
        201,
    )
    secret = pyotp.parse_uri(enrolled["otpauth_uri"]).secret
    return email, await sign_in(cases, email, created["one_time_password"], secret)


async def latest_self_service_code(system: System, email: str) -> str:
    sessions = create_session_factory(system.apps["intake"].state.engine)
    async with sessions() as session:
        rows = await session.scalars(
            select(IntakeOutbox.payload)
            .where(IntakeOutbox.topic == VERIFICATIONS_TOPIC)
            .order_by(IntakeOutbox.id)
        )
        codes = [
            data["code"]
            for data in (CloudEvent.model_validate(json.loads(row)).data for row in rows)
            if data.get("recipient_email") == email and data.get("purpose") == "self_service"
        ]
    assert codes, f"no self-service code was issued to {email}"
    return str(codes[-1])


async def portal_post(
    intake: httpx.AsyncClient, page_url: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open the page (its CSRF token and the bot check's clock), wait as a person would, post."""
    shown = await intake.get(page_url)
    assert shown.status_code == 200, shown.text
    await asyncio.sleep(FILL_SECONDS)
    return await intake.post(action, data={**read_page(shown.text).hidden(), **data})


def plain_text(mail: Any) -> str:
    return "".join(
        part.get_content() for part in mail.walk() if part.get_content_type() == "text/plain"
    )


async def test_the_staff_workspace_as_a_new_user_tries_it(infra: Infra, tmp_path: Path) -> None:
    urls = sqlite_urls(tmp_path)
    created = await asyncio.to_thread(
        run_module,
        "ombuds_cases.staff",
        ["create-admin", "--email", "avery@agency.example.gov", "--name", "Avery Admin"],
        urls["cases"],
    )
    assert created.returncode == 0, created.stderr
    one_time = re.search(r"one-time password: (\S+)", created.stdout)
    uri = re.search(r"(otpauth://\S+)", created.stdout)
    assert one_time is not None
    assert uri is not None

    async with (
        running_system(infra, urls, portal_url="https://intake") as system,
        # The portal's cookies are Secure: a browser keeps them only over https.
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=system.apps["intake"]), base_url="https://intake"
        ) as intake,
    ):
        cases = system.cases
        admin = await sign_in(
            cases,
            "avery@agency.example.gov",
            one_time.group(1),
            pyotp.parse_uri(uri.group(1)).secret,
        )
        # The administrator manages accounts but reads no case.
        assert (await cases.get("/api/v1/cases", headers=bearer(admin))).status_code == 403

        sam, supervisor = await designate(cases, admin, "Sam", "supervisor", None)
        kim, officer = await designate(cases, admin, "Kim", "case_officer", "field_operations")
        lee, outsider = await designate(cases, admin, "Lee", "case_officer", "border_patrol")
        _pat, auditor = await designate(cases, admin, "Pat", "privacy_officer", None)

        # A member of the public complains on the portal's API.
        body = json.loads((EXAMPLES / "complaint.json").read_text())
        email = "maria.done-when@example.org"
        body["contact"]["email"] = email
        number = ok(await intake.post("/api/v1/submissions", json=body), 201)["control_number"]

        async def opened() -> dict[str, Any] | None:
            response = await cases.get(f"/api/v1/cases/{number}", headers=bearer(supervisor))
            return response.json() if response.status_code == 200 else None

        await eventually(opened)
        queue = ok(await cases.get("/api/v1/cases?limit=200", headers=bearer(supervisor)), 200)
        assert number in [item["control_number"] for item in queue["items"]]

        # Triage and assignment (the supervisor), then the officer works the case.
        def at(path: str) -> str:
            return f"/api/v1/cases/{number}/{path}"

        # The workflow moves a new case to triage once it is acknowledged; the supervisor
        # triages it (`case.triage`: the priority), then assigns it.
        async def in_triage() -> bool:
            return (await opened() or {}).get("status") == "triage"

        await eventually(in_triage)
        ok(
            await cases.post(at("priority"), json={"priority": "high"}, headers=bearer(supervisor)),
            200,
        )
        ok(
            await cases.post(
                at("assignment"),
                json={"office": "field_operations", "assignee": kim},
                headers=bearer(supervisor),
            ),
            200,
        )
        assert (
            await cases.get(f"/api/v1/cases/{number}", headers=bearer(outsider))
        ).status_code == 404
        ok(await cases.get(f"/api/v1/cases/{number}", headers=bearer(officer)), 200)
        ok(
            await cases.post(
                at("notes"),
                json={"stage": "review", "text": "Called the port."},
                headers=bearer(officer),
            ),
            201,
        )
        asked = ok(
            await cases.post(
                at("information-requests"),
                json={"question": "Which lane were you in?", "due_in_business_days": 10},
                headers=bearer(officer),
            ),
            201,
        )
        assert asked["status"] == "awaiting_information"

        # The email carries the reply link; the portal asks for the one-time code first.
        async def reply_link() -> str | None:
            for mail in system.emails_for(number):
                found = REPLY_LINK.search(plain_text(mail))
                if found:
                    return found.group(1)
            return None

        link = await eventually(reply_link)
        opened_link = await intake.get(link)
        assert opened_link.status_code == 303
        asked_code = await portal_post(
            intake,
            opened_link.headers["location"],
            "/manage?lang=en",
            {"control_number": number, "email": email},
        )
        assert asked_code.status_code == 303, asked_code.text
        code = await latest_self_service_code(system, email)
        confirmed = await portal_post(
            intake,
            asked_code.headers["location"],
            "/manage/code?lang=en",
            {"control_number": number, "code": code},
        )
        assert confirmed.status_code == 303, confirmed.text
        assert confirmed.headers["location"].startswith(link)
        answered = await portal_post(
            intake, link, f"{link}?lang=en", {"text": "Lane 4, at about noon."}
        )
        assert answered.status_code == 303, answered.text

        async def answer_attached() -> dict[str, Any] | None:
            case = ok(await cases.get(f"/api/v1/cases/{number}", headers=bearer(officer)), 200)
            return case if case["status"] == "assigned" else None

        case = await eventually(answer_attached)
        [request] = case["information_requests"]
        assert request["answer"]["text"] == "Lane 4, at about noon."
        timeline = ok(await cases.get(at("timeline"), headers=bearer(officer)), 200)
        assert "information_received" in [entry["kind"] for entry in timeline["entries"]]

        ok(
            await cases.post(
                at("notes"),
                json={"stage": "resolution", "text": "Explained the wait."},
                headers=bearer(officer),
            ),
            201,
        )
        ok(
            await cases.post(
                at("close"),
                json={"reason": "explained", "disposition": "resolved_with_explanation"},
                headers=bearer(officer),
            ),
            200,
        )
        ok(
            await cases.post(
                at("reopen"), json={"reason": "new facts"}, headers=bearer(supervisor)
            ),
            200,
        )

        # The auditor sees every one of those reads and changes.
        trail = ok(
            await cases.get(
                "/api/v1/audit", params={"record_id": number, "limit": 500}, headers=bearer(auditor)
            ),
            200,
        )
        seen = {(r["actor"], r["action"], r["outcome"], tuple(r["fields"])) for r in trail["items"]}
        kinds = {(actor, action, outcome) for actor, action, outcome, _ in seen}
        assert (sam, "read", "success") in kinds  # the case, and the queue listing it
        assert any(r["record_type"] == "case_list" and r["actor"] == sam for r in trail["items"])
        assert (lee, "read", "denied") in kinds
        assert (kim, "read", "success") in kinds
        for actor, action, field in [
            (sam, "update", "priority.priority"),
            (sam, "update", "assignment.office"),
            (kim, "create", "notes.text"),
            (kim, "create", "information-requests.question"),
            (kim, "update", "close.disposition"),
            (sam, "update", "reopen.reason"),
        ]:
            assert any(
                (a, act, out) == (actor, action, "success") and field in fields
                for a, act, out, fields in seen
            ), (actor, action, field)
        note_sequence = next(
            r["sequence"]
            for r in trail["items"]
            if r["actor"] == kim and "notes.text" in r["fields"]
        )
        # Staff accounts too: the administrator's designations and attestations.
        accounts = ok(
            await cases.get(
                "/api/v1/audit",
                params={"actor": "avery@agency.example.gov", "limit": 500},
                headers=bearer(auditor),
            ),
            200,
        )
        made = [(r["record_type"], r["action"]) for r in accounts["items"]]
        assert made.count(("staff_training", "create")) == 4
        assert made.count(("staff", "create")) == 4

    intact = await asyncio.to_thread(run_module, "ombuds_cases.audit", ["verify"], urls["cases"])
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "audit trail intact" in intact.stdout

    # Someone with database access drops the guard and edits the officer's note record.
    engine = create_engine(urls["cases"])
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER audit_records_no_update"))
            await connection.execute(
                text("UPDATE audit_records SET actor = 'someone-else' WHERE sequence = :s"),
                {"s": note_sequence},
            )
    finally:
        await engine.dispose()
    edited = await asyncio.to_thread(run_module, "ombuds_cases.audit", ["verify"], urls["cases"])
    assert edited.returncode == 1
    assert f"sequence {note_sequence}: edited" in edited.stdout
