"""Intake's HTTP API on a real database (SQLite and PostgreSQL) and the real broker."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import OutboxRecord, Submission
from ombuds_shared.control_numbers import parse_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import SUBMISSION_RECEIVED_V2, SUBMISSIONS_TOPIC
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
from support.infra import Infra

EXAMPLES = Path(__file__).parents[3] / "examples" / "submissions"


def complaint(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    body.update(changes)
    return body


@pytest.fixture(scope="module")
async def intake(database_url: str, infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    app = create_app(Settings(database_url=database_url, platform=infra.isolated_platform()))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


async def stored(client: httpx.AsyncClient) -> tuple[int, int]:
    """How many submissions and outbox rows the service's database holds (tests share it)."""
    factory = create_session_factory(client.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        submissions = await session.scalar(select(func.count()).select_from(Submission))
        outbox = await session.scalar(select(func.count()).select_from(OutboxRecord))
    return int(submissions or 0), int(outbox or 0)


async def test_accepts_a_complaint_and_stages_its_event(intake: httpx.AsyncClient) -> None:
    before = await stored(intake)
    response = await intake.post("/api/v1/submissions", json=complaint())
    assert response.status_code == 201, response.text
    body = response.json()
    assert parse_control_number(body["control_number"]) == body["control_number"]
    assert body["status"] == "received"
    assert await stored(intake) == (before[0] + 1, before[1] + 1)
    factory = create_session_factory(intake.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        row = await session.scalar(
            select(OutboxRecord).where(OutboxRecord.message_key == body["control_number"])
        )
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == body["control_number"])
        )
    assert row is not None
    assert submission is not None
    assert (row.topic, row.event_type, row.message_key) == (
        SUBMISSIONS_TOPIC,
        SUBMISSION_RECEIVED_V2,
        body["control_number"],
    )
    assert json.loads(row.payload)["data"]["contact"]["email"] == "maria.lopez@example.org"
    assert submission.client_ip is not None
    assert submission.original["incident"]["narrative"].startswith("At the checkpoint")
    assert submission.form_version == body["form_version"]
    assert submission.accuracy_certified_at is not None


async def test_same_idempotency_key_returns_same_control_number(intake: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": f"portal-retry-{uuid.uuid4()}"}
    before = await stored(intake)
    first = await intake.post("/api/v1/submissions", json=complaint(), headers=headers)
    second = await intake.post("/api/v1/submissions", json=complaint(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["control_number"] == second.json()["control_number"]
    assert await stored(intake) == (before[0] + 1, before[1] + 1)


async def test_idempotency_key_with_another_body_is_refused(intake: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": f"portal-retry-{uuid.uuid4()}"}
    await intake.post("/api/v1/submissions", json=complaint(), headers=headers)
    changed = complaint()
    changed["incident"]["narrative"] = "Something else entirely happened."
    other = await intake.post("/api/v1/submissions", json=changed, headers=headers)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def rules(response: httpx.Response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return {(error["field"], error["rule"]) for error in response.json()["errors"]}


async def test_each_invalid_field_is_named_with_its_rule(intake: httpx.AsyncClient) -> None:
    before = await stored(intake)
    body = complaint(kind="rant")
    body["incident"]["incident_date"] = "yesterday"
    body["incident"]["narrative"] = "short"
    del body["privacy_act_acknowledged"]
    body["contact"]["email"] = "not-an-email"
    response = await intake.post("/api/v1/submissions", json=body)
    assert rules(response) == {
        ("kind", "literal_error"),
        ("incident.incident_date", "date_from_datetime_parsing"),
        ("incident.narrative", "string_too_short"),
        ("privacy_act_acknowledged", "missing"),
        ("contact.email", "value_error"),
    }
    assert await stored(intake) == before


async def test_complaint_needs_date_and_port(intake: httpx.AsyncClient) -> None:
    body = complaint()
    del body["incident"]["incident_date"], body["incident"]["port_of_entry"]
    assert rules(await intake.post("/api/v1/submissions", json=body)) == {
        ("incident.incident_date", "missing"),
        ("incident.port_of_entry", "missing"),
    }


async def test_privacy_act_and_accuracy_must_be_acknowledged(intake: httpx.AsyncClient) -> None:
    response = await intake.post(
        "/api/v1/submissions",
        json=complaint(privacy_act_acknowledged=False, accuracy_certified=False),
    )
    assert rules(response) == {
        ("privacy_act_acknowledged", "literal_error"),
        ("accuracy_certified", "literal_error"),
    }


async def test_unknown_fields_are_rejected_not_stored(intake: httpx.AsyncClient) -> None:
    before = await stored(intake)
    response = await intake.post("/api/v1/submissions", json=complaint(passport_number="X1234567"))
    assert rules(response) == {("passport_number", "extra_forbidden")}
    assert await stored(intake) == before


async def test_anonymous_submission_carries_no_personal_information(
    intake: httpx.AsyncClient,
) -> None:
    response = await intake.post("/api/v1/submissions", json=complaint(anonymous=True))
    assert rules(response) == {
        ("contact", "forbidden_when_anonymous"),
        ("identity", "forbidden_when_anonymous"),
    }
    body = complaint(anonymous=True)
    del body["contact"], body["identity"]
    accepted = await intake.post("/api/v1/submissions", json=body)
    assert accepted.status_code == 201
    assert "no response" in accepted.json()["acknowledgement"]


async def test_malformed_json_is_a_422(intake: httpx.AsyncClient) -> None:
    response = await intake.post(
        "/api/v1/submissions",
        content=b'{"kind": "complaint",',
        headers={"content-type": "application/json"},
    )
    assert rules(response) == {("body", "json_invalid")}


async def test_body_over_one_mebibyte_is_a_413(intake: httpx.AsyncClient) -> None:
    before = await stored(intake)
    body = complaint()
    body["incident"]["narrative"] = "x" * (1024 * 1024 + 1)
    response = await intake.post("/api/v1/submissions", json=body)
    assert response.status_code == 413
    assert await stored(intake) == before


async def test_status_for_the_submitter_only(intake: httpx.AsyncClient) -> None:
    number = (await intake.post("/api/v1/submissions", json=complaint())).json()["control_number"]
    url = f"/api/v1/submissions/{number}/status"
    mine = await intake.get(url, headers={"X-Submitter-Email": "Maria.Lopez@example.org"})
    assert mine.status_code == 200
    assert mine.json()["status"] == "received"
    wrong_email = await intake.get(url, headers={"X-Submitter-Email": "someone@example.org"})
    unknown = await intake.get(
        "/api/v1/submissions/OMB-00000-00000-0/status",
        headers={"X-Submitter-Email": "maria.lopez@example.org"},
    )
    assert wrong_email.status_code == unknown.status_code == 404
    assert wrong_email.json() == unknown.json()


async def test_mistyped_control_number_says_check_the_number(intake: httpx.AsyncClient) -> None:
    number = (await intake.post("/api/v1/submissions", json=complaint())).json()["control_number"]
    data = number.replace("-", "")[3:-1]
    swapped = (
        data[1] + data[0] + data[2:]
        if data[0] != data[1]
        else data[:-1] + ("0" if data[-1] != "0" else "1")
    )
    typo = f"OMB-{swapped[:5]}-{swapped[5:]}-{number[-1]}"
    response = await intake.get(
        f"/api/v1/submissions/{typo}/status",
        headers={"X-Submitter-Email": "maria.lopez@example.org"},
    )
    assert response.status_code == 422
    assert "check" in response.json()["detail"]


async def test_database_outage_is_a_503_and_stores_nothing(infra: Infra) -> None:
    app = create_app(
        Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", platform=infra.platform)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        response = await client.post("/api/v1/submissions", json=complaint())
        health = await client.get("/healthz")
    assert response.status_code == 503
    assert "nothing was changed" in response.json()["detail"]
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == "down"


async def test_forms_describe_every_path(intake: httpx.AsyncClient) -> None:
    current = (await intake.get("/api/v1/forms")).json()
    assert set(current["categories"]) == {
        "trusted_traveler",
        "border_patrol",
        "aviation_marina",
        "trade",
        "general",
    }
    same = await intake.get(f"/api/v1/forms/{current['version']}")
    assert same.json() == current
    missing = await intake.get("/api/v1/forms/1999-01-01")
    assert missing.status_code == 404


async def test_uploaded_files_travel_with_the_submission_once(intake: httpx.AsyncClient) -> None:
    upload = await intake.post(
        "/api/v1/attachments", files={"file": ("receipt.png", sample_files.png(), "image/png")}
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()["id"]
    body = complaint(attachments=[attachment])
    accepted = await intake.post("/api/v1/submissions", json=body)
    assert accepted.status_code == 201, accepted.text
    factory = create_session_factory(intake.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        row = await session.scalar(
            select(OutboxRecord).where(
                OutboxRecord.message_key == accepted.json()["control_number"]
            )
        )
    assert row is not None
    assert json.loads(row.payload)["data"]["attachments"] == [attachment]

    again = await intake.post("/api/v1/submissions", json=complaint(attachments=[attachment]))
    assert again.status_code == 422
    assert attachment in again.json()["detail"]
    malformed = await intake.post("/api/v1/submissions", json=complaint(attachments=["../etc"]))
    assert rules(malformed) == {("attachments.0", "string_pattern_mismatch")}


STAFF = {"Authorization": "Bearer dev-staff-token"}


def staff_entry(channel: str, **changes: Any) -> dict[str, Any]:
    body = complaint(channel=channel, information_confirmed=True, **changes)
    del body["privacy_act_acknowledged"], body["accuracy_certified"]
    return body


async def test_staff_channels_need_a_staff_token(intake: httpx.AsyncClient) -> None:
    body = staff_entry(
        "phone", call={"received_at": "2026-11-20T10:15:00-05:00", "caller_number": "619 555 0142"}
    )
    assert (await intake.post("/api/v1/staff/submissions", json=body)).status_code == 401
    wrong = {"Authorization": "Bearer guess"}
    assert (
        await intake.post("/api/v1/staff/submissions", json=body, headers=wrong)
    ).status_code == 401


async def test_a_phone_call_records_the_call_and_is_read_back(intake: httpx.AsyncClient) -> None:
    call = {"received_at": "2026-11-20T10:15:00-05:00", "caller_number": "+1 619 555 0142"}
    response = await intake.post(
        "/api/v1/staff/submissions", json=staff_entry("phone", call=call), headers=STAFF
    )
    assert response.status_code == 201, response.text
    number = response.json()["control_number"]
    assert response.json()["acknowledgement"].startswith("Read the control number back")
    factory = create_session_factory(intake.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == number)
        )
        row = await session.scalar(select(OutboxRecord).where(OutboxRecord.message_key == number))
    assert submission is not None
    assert row is not None
    assert submission.channel == "phone"
    assert submission.privacy_act_acknowledged_at is None
    assert submission.client_ip is None
    data = json.loads(row.payload)["data"]
    assert data["channel"] == "phone"
    assert data["channel_details"]["call"]["caller_number"] == "+1 619 555 0142"


async def test_paper_channels_carry_their_scanned_document(intake: httpx.AsyncClient) -> None:
    missing = await intake.post(
        "/api/v1/staff/submissions", json=staff_entry("letter"), headers=STAFF
    )
    assert rules(missing) == {("scanned_document", "required_for_paper")}
    scan = await intake.post(
        "/api/v1/attachments", files={"file": ("letter.pdf", sample_files.pdf(), "application/pdf")}
    )
    scan_id = scan.json()["id"]
    accepted = await intake.post(
        "/api/v1/staff/submissions",
        json=staff_entry("fax", scanned_document=scan_id),
        headers=STAFF,
    )
    assert accepted.status_code == 201, accepted.text
    assert "letter" in accepted.json()["acknowledgement"]
    reused = await intake.post(
        "/api/v1/staff/submissions",
        json=staff_entry("letter", scanned_document=scan_id),
        headers=STAFF,
    )
    assert reused.status_code == 422
    assert scan_id in reused.json()["detail"]


async def test_each_audience_answers_for_its_own_consent(intake: httpx.AsyncClient) -> None:
    staff_with_web_consent = {**staff_entry("email"), "privacy_act_acknowledged": True}
    assert rules(
        await intake.post("/api/v1/staff/submissions", json=staff_with_web_consent, headers=STAFF)
    ) == {("privacy_act_acknowledged", "extra_forbidden")}
    unconfirmed = staff_entry("email")
    del unconfirmed["information_confirmed"]
    assert rules(
        await intake.post("/api/v1/staff/submissions", json=unconfirmed, headers=STAFF)
    ) == {("information_confirmed", "missing")}
    public_claiming_a_channel = complaint(channel="phone")
    assert rules(await intake.post("/api/v1/submissions", json=public_claiming_a_channel)) == {
        ("channel", "extra_forbidden")
    }
    email = staff_entry(
        "email", call={"received_at": "2026-11-20T10:15:00Z", "caller_number": "555 0100"}
    )
    assert rules(await intake.post("/api/v1/staff/submissions", json=email, headers=STAFF)) == {
        ("call", "phone_only")
    }
