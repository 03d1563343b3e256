"""Reads of a case are audited (success, not found, refused, malformed), and the auditor's
`GET /api/v1/audit` finds them by actor, record, action, outcome and time, newest first."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.verify import verify_database
from ombuds_cases.config import DEVELOPMENT_STAFF_TOKEN, Settings
from ombuds_cases.main import create_app
from ombuds_cases.models import Case
from ombuds_devstack.processes import free_port
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.settings import PlatformSettings

STAFF = {"Authorization": f"Bearer {DEVELOPMENT_STAFF_TOKEN}"}


def unreachable_platform() -> PlatformSettings:
    """Nothing listens here: the relay, consumer and Temporal connection just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture
async def client(fresh_cases_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=fresh_cases_url, run_worker=False, platform=unreachable_platform()
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases") as c,
    ):
        yield c


async def open_case(sessions: async_sessionmaker[AsyncSession], anonymous: bool = False) -> str:
    control_number = new_control_number()
    now = datetime.now(UTC)
    async with sessions() as session:
        session.add(
            Case(
                control_number=control_number,
                kind="complaint",
                category="general",
                channel="web",
                anonymous=anonymous,
                contact_first_name=None if anonymous else "Ana",
                contact_last_name=None if anonymous else "Pérez",
                contact_email=None if anonymous else "ana@example.org",
                narrative="Waited four hours at the port.",
                language="en",
                details={},
                status="received",
                received_at=now,
                opened_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    return control_number


async def audit_of(client: httpx.AsyncClient, **filters: str | int) -> dict[str, Any]:
    response = await client.get("/api/v1/audit", params=filters, headers=STAFF)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_read_of_a_case_is_audited_with_the_fields_shown(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    control_number = await open_case(cases_sessions)
    before = datetime.now(UTC)

    response = await client.get(f"/api/v1/cases/{control_number}", headers=STAFF)

    assert response.status_code == 200
    page = await audit_of(client, record_id=control_number)
    assert page["total"] == 1
    [record] = page["items"]
    assert {key: record[key] for key in ("actor", "actor_role", "action", "record_type")} == {
        "actor": "dev-staff",
        "actor_role": "staff",
        "action": "read",
        "record_type": "case",
    }
    assert (record["record_id"], record["outcome"]) == (control_number, "success")
    assert record["client_address"] == "127.0.0.1"
    assert {"narrative", "contact.email", "contact.first_name", "status"} <= set(record["fields"])
    assert "incident_date" not in record["fields"]  # not given, so not shown
    assert before <= datetime.fromisoformat(record["occurred_at"]) <= datetime.now(UTC)
    assert len(record["hash"]) == len(record["prev_hash"]) == 64


async def test_an_anonymous_case_shows_no_contact_fields(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    control_number = await open_case(cases_sessions, anonymous=True)

    await client.get(f"/api/v1/cases/{control_number}", headers=STAFF)

    [record] = (await audit_of(client, record_id=control_number))["items"]
    assert not [field for field in record["fields"] if field.startswith("contact")]


async def test_refused_missing_and_malformed_reads_are_audited(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    existing = await open_case(cases_sessions)
    missing = new_control_number()

    refused = await client.get(
        f"/api/v1/cases/{existing}", headers={"Authorization": "Bearer wrong"}
    )
    not_found = await client.get(f"/api/v1/cases/{missing}", headers=STAFF)
    malformed = await client.get("/api/v1/cases/NOT-A-NUMBER", headers=STAFF)

    assert (refused.status_code, not_found.status_code, malformed.status_code) == (401, 404, 422)
    denied = await audit_of(client, outcome="denied")
    assert [(r["actor"], r["record_id"], r["action"]) for r in denied["items"]] == [
        ("anonymous", existing, "read")
    ]
    [absent] = (await audit_of(client, outcome="not_found"))["items"]
    assert (absent["record_id"], absent["actor"]) == (missing, "dev-staff")
    [error] = (await audit_of(client, outcome="error"))["items"]
    assert error["record_id"] == "NOT-A-NUMBER"


async def test_the_search_filters_pages_newest_first_and_is_itself_audited(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    numbers = [await open_case(cases_sessions) for _ in range(3)]
    for number in numbers:
        await client.get(f"/api/v1/cases/{number}", headers=STAFF)

    first = await audit_of(client, action="read", limit=2)
    second = await audit_of(client, action="read", limit=2, offset=2)

    assert (first["total"], second["total"]) == (3, 3)
    found = [r["record_id"] for r in [*first["items"], *second["items"]]]
    assert found == list(reversed(numbers))
    sequences = [r["sequence"] for r in [*first["items"], *second["items"]]]
    assert sequences == sorted(sequences, reverse=True)

    searches = await audit_of(client, action="search", actor="dev-staff")
    assert searches["total"] == 2  # the two pages above (this search is recorded after it ran)
    assert [r["fields"] for r in searches["items"]] == [["action"], ["action"]]
    assert (await audit_of(client, actor=f"nobody-{uuid.uuid4().hex[:6]}"))["total"] == 0


async def test_the_search_filters_by_time(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    number = await open_case(cases_sessions)
    await client.get(f"/api/v1/cases/{number}", headers=STAFF)
    [record] = (await audit_of(client, record_id=number))["items"]
    at = datetime.fromisoformat(record["occurred_at"])
    just_after = (at + timedelta(microseconds=1)).isoformat()

    assert (await audit_of(client, record_id=number, since=at.isoformat()))["total"] == 1
    assert (await audit_of(client, record_id=number, since=just_after))["total"] == 0
    assert (await audit_of(client, record_id=number, until=at.isoformat()))["total"] == 0
    assert (await audit_of(client, record_id=number, until=just_after))["total"] == 1


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"limit": 0}, "limit", "greater_than_equal"),
        ({"limit": 501}, "limit", "less_than_equal"),
        ({"action": "erase"}, "action", "literal_error"),
        ({"outcome": "maybe"}, "outcome", "literal_error"),
        ({"since": "yesterday"}, "since", "datetime_from_date_parsing"),
    ],
)
async def test_bad_search_queries_name_the_field_and_rule(
    client: httpx.AsyncClient, params: dict[str, str | int], field: str, rule: str
) -> None:
    response = await client.get("/api/v1/audit", params=params, headers=STAFF)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == (field, rule)


async def test_a_time_without_offset_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/audit", params={"since": "2026-11-23T04:00:00"}, headers=STAFF
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("since: give a UTC offset")


async def test_no_route_edits_or_deletes_the_audit_trail(
    client: httpx.AsyncClient, cases_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await client.get(f"/api/v1/cases/{await open_case(cases_sessions)}", headers=STAFF)

    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert (await client.request(method, "/api/v1/audit", headers=STAFF)).status_code == 405
        assert (await client.request(method, "/api/v1/audit/1", headers=STAFF)).status_code == 404
    assert (await client.get("/api/v1/audit")).status_code == 401


async def test_the_log_the_api_wrote_verifies(
    client: httpx.AsyncClient,
    cases_sessions: async_sessionmaker[AsyncSession],
    fresh_cases_url: str,
) -> None:
    for _ in range(3):
        await client.get(f"/api/v1/cases/{await open_case(cases_sessions)}", headers=STAFF)
    await client.get("/api/v1/cases/x", headers={"Authorization": "Bearer nope"})
    await audit_of(client)

    report = await verify_database(fresh_cases_url, AuditSettings())

    assert report.problems == []
    assert report.records == 5
