"""The audit trail names the real, signed-in member of staff: for a read, for each case action
(with the fields it changed), for a refusal, and for every staff-account event. The searches
here are made by a real auditor (a privacy officer), not the development token."""

from typing import Any

import httpx
import pyotp

from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.verify import verify_database
from ombuds_cases.staff.policy import Role

from .conftest import FIELD, Roster, RouteCase, Staffer, enlist, ok


async def trail(client: httpx.AsyncClient, roster: Roster, **filters: str) -> list[dict[str, Any]]:
    """Matching audit records, oldest first, as the privacy officer finds them."""
    auditor = roster.by_role[Role.PRIVACY_OFFICER]
    page = ok(
        await client.get(
            "/api/v1/audit", params={**filters, "limit": "500"}, headers=auditor.headers
        ),
        200,
    )
    return list(reversed(page["items"]))


def who(record: dict[str, Any]) -> tuple[str, str]:
    return record["actor"], record["actor_role"]


def named(staffer: Staffer) -> tuple[str, str]:
    return staffer.email, staffer.role.value


async def test_a_read_and_each_action_name_the_signed_in_staff_member(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    number = await case_in(FIELD)
    supervisor, officer = roster.by_role[Role.SUPERVISOR], roster.by_role[Role.CASE_OFFICER]

    ok(await client.get(f"/api/v1/cases/{number}", headers=supervisor.headers), 200)
    ok(
        await client.post(
            f"/api/v1/cases/{number}/assignment",
            json={"office": "field_operations", "assignee": officer.email},
            headers=supervisor.headers,
        ),
        200,
    )
    note = {"stage": "review", "text": "Called the port."}
    added = ok(
        await client.post(f"/api/v1/cases/{number}/notes", json=note, headers=officer.headers),
        201,
    )

    records = await trail(client, roster, record_id=number)
    # The first record is the development token's assignment that routed the case.
    mine = [(who(r), r["action"], r["outcome"], r["fields"]) for r in records[1:]]
    assert mine[0][:3] == (named(supervisor), "read", "success")
    assert "narrative" in mine[0][3]
    assert mine[1:] == [
        (named(supervisor), "update", "success", ["assignment.assignee", "assignment.office"]),
        (named(officer), "create", "success", ["notes.stage", "notes.text"]),
    ]
    assert added["notes"][0]["author"] == officer.id


async def test_a_refused_read_is_audited_as_denied_under_the_caller(
    client: httpx.AsyncClient, roster: Roster, case_in: RouteCase
) -> None:
    number = await case_in(FIELD)
    security = roster.by_role[Role.SECURITY_OFFICER]

    refused = await client.get(f"/api/v1/cases/{number}", headers=security.headers)

    assert refused.status_code == 403
    [denied] = await trail(client, roster, record_id=number, outcome="denied")
    assert (who(denied), denied["action"]) == (named(security), "read")


async def test_staff_account_events_are_audited_by_whom(
    client: httpx.AsyncClient, roster: Roster
) -> None:
    newcomer = await enlist(client, Role.CASE_OFFICER, FIELD)
    development = ("dev-staff", "staff")

    events = [
        (who(r), r["action"], r["record_type"], r["fields"])
        for r in await trail(client, roster, record_id=newcomer.id)
    ]

    assert events == [
        (development, "create", "staff", ["email", "expires_on", "name", "office", "role"]),
        (development, "update", "staff", ["totp_secret"]),
        (development, "create", "staff_training", ["course", "completed_on"]),
        (named(newcomer), "create", "staff_session", []),
        (named(newcomer), "update", "staff", ["password"]),
    ]


async def test_a_failed_sign_in_is_audited_under_the_email_it_claimed(
    client: httpx.AsyncClient, roster: Roster
) -> None:
    officer = roster.by_role[Role.CASE_OFFICER]
    wrong = {
        "email": officer.email,
        "password": "not it",
        "code": pyotp.TOTP(pyotp.random_base32()).now(),
    }

    refused = await client.post("/api/v1/staff/session", json=wrong)

    assert refused.status_code == 401
    attempts = await trail(client, roster, actor=officer.email, record_type="staff_session")
    assert [(r["actor_role"], r["outcome"]) for r in attempts][-1] == ("unverified", "denied")


async def test_deactivation_and_a_change_are_audited_and_the_chain_verifies(
    client: httpx.AsyncClient, roster: Roster, migrated_url: str
) -> None:
    admin = roster.by_role[Role.ADMINISTRATOR]
    newcomer = await enlist(client, Role.CASE_OFFICER, FIELD)

    ok(
        await client.patch(
            f"/api/v1/staff/{newcomer.id}", json={"office": "trade"}, headers=admin.headers
        ),
        200,
    )
    ok(await client.post(f"/api/v1/staff/{newcomer.id}/deactivate", headers=admin.headers), 200)

    changes = (await trail(client, roster, record_id=newcomer.id))[-2:]
    assert [(who(r), r["action"], r["fields"]) for r in changes] == [
        (named(admin), "update", ["office"]),
        (named(admin), "update", ["active"]),
    ]
    report = await verify_database(migrated_url, AuditSettings())
    assert report.problems == []
    assert report.records >= len(changes)
