"""Self-service by control number over the API: code, token, supplement, correct, withdraw."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import OutboxRecord, Submission
from ombuds_intake.self_service.models import Amendment
from ombuds_intake.self_service.tokens import issue_token
from ombuds_intake.verification.models import VerificationCode
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_session_factory, utcnow
from ombuds_shared.events import (
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_SUPPLEMENTED_V1,
    SUBMISSION_SUPPLEMENTED_V2,
    SUBMISSION_WITHDRAWN_V1,
    SUBMISSIONS_TOPIC,
    VERIFICATION_CODE_ISSUED_V1,
    VERIFICATIONS_TOPIC,
    CloudEvent,
)
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
from support.infra import Infra

EXAMPLES = Path(__file__).parents[4] / "examples" / "submissions"


def example(name: str = "complaint", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    body.update(changes)
    return body


@pytest.fixture(scope="module")
async def intake(
    database_url: str, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        platform=infra.isolated_platform(),
        attachments_dir=str(tmp_path_factory.mktemp("attachments")),
        public_url="https://portal.example",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


def sessions(client: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(client.app.state.engine)  # type: ignore[attr-defined]


async def submit(client: httpx.AsyncClient, email: str | None = None, **changes: Any) -> str:
    body = example(**changes)
    body["contact"]["email"] = email or f"maria+{uuid.uuid4().hex[:8]}@example.org"
    response = await client.post("/api/v1/submissions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["control_number"])


async def events(client: httpx.AsyncClient, control_number: str, event_type: str) -> list[Any]:
    async with sessions(client)() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(
                OutboxRecord.message_key == control_number, OutboxRecord.event_type == event_type
            )
            .order_by(OutboxRecord.id)
        )
        return [(row.topic, CloudEvent.model_validate_json(row.payload)) for row in rows]


async def email_of(client: httpx.AsyncClient, control_number: str) -> str:
    async with sessions(client)() as session:
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == control_number)
        )
    assert submission is not None
    assert submission.contact_email is not None
    return submission.contact_email


async def request_code(client: httpx.AsyncClient, control_number: str, email: str) -> str | None:
    """Ask for a code; the code emailed, read from the outbox event (None if none was sent)."""
    before = len(await events(client, control_number, VERIFICATION_CODE_ISSUED_V1))
    response = await client.post(
        f"/api/v1/submissions/{control_number}/verification", json={"email": email}
    )
    assert response.status_code == 202, response.text
    issued = await events(client, control_number, VERIFICATION_CODE_ISSUED_V1)
    if len(issued) == before:
        return None
    topic, event = issued[-1]
    assert topic == VERIFICATIONS_TOPIC
    assert event.data["purpose"] == "self_service"
    assert event.data["link"].startswith("https://portal.example/manage/verify/")
    return str(event.data["code"])


async def token_for(client: httpx.AsyncClient, control_number: str) -> dict[str, str]:
    code = await request_code(client, control_number, await email_of(client, control_number))
    assert code is not None
    response = await client.post(
        f"/api/v1/submissions/{control_number}/verification/confirm", json={"code": code}
    )
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 3600
    return {"X-Self-Service-Token": response.json()["token"]}


def errors(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    return list(response.json()["errors"])


# Verification --------------------------------------------------------------------------------


async def test_right_and_wrong_email_get_the_same_answer(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    right = await intake.post(
        f"/api/v1/submissions/{number}/verification", json={"email": await email_of(intake, number)}
    )
    wrong = await intake.post(
        f"/api/v1/submissions/{number}/verification", json={"email": "someone@example.org"}
    )
    assert (right.status_code, wrong.status_code) == (202, 202)
    assert right.json() == wrong.json()
    # Only the right email got a code.
    assert len(await events(intake, number, VERIFICATION_CODE_ISSUED_V1)) == 1


async def test_email_matches_whatever_its_case(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    email = await email_of(intake, number)
    assert await request_code(intake, number, f"  {email.upper()} ") is not None


async def test_anonymous_submission_gets_no_code(intake: httpx.AsyncClient) -> None:
    response = await intake.post("/api/v1/submissions", json=example("tip"))
    number = response.json()["control_number"]
    assert await request_code(intake, number, "anyone@example.org") is None


async def test_mistyped_control_number_is_checked(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    typo = number[:-1] + ("A" if number[-1] != "A" else "B")
    response = await intake.post(
        f"/api/v1/submissions/{typo}/verification", json={"email": "maria@example.org"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "control_number_check_failed"


async def test_wrong_code_names_the_field_and_tries_left(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    code = await request_code(intake, number, await email_of(intake, number))
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    response = await intake.post(
        f"/api/v1/submissions/{number}/verification/confirm", json={"code": wrong}
    )
    [error] = errors(response)
    assert (error["field"], error["rule"]) == ("code", "code_mismatch")
    assert "4 tries left" in error["message"]


async def test_five_wrong_codes_lock_it(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    code = await request_code(intake, number, await email_of(intake, number))
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    rules = []
    for _ in range(6):
        response = await intake.post(
            f"/api/v1/submissions/{number}/verification/confirm", json={"code": wrong}
        )
        rules.append(errors(response)[0]["rule"])
    assert rules == ["code_mismatch"] * 4 + ["code_locked"] * 2
    # Even the right code no longer works: a new one must be asked for.
    response = await intake.post(
        f"/api/v1/submissions/{number}/verification/confirm", json={"code": code}
    )
    [error] = errors(response)
    assert error["rule"] == "code_locked"
    assert "ask for a new code" in error["message"]


async def test_expired_code_asks_for_a_new_one(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    code = await request_code(intake, number, await email_of(intake, number))
    assert code is not None
    async with sessions(intake)() as session:
        await session.execute(
            update(VerificationCode)
            .where(VerificationCode.subject == number)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    response = await intake.post(
        f"/api/v1/submissions/{number}/verification/confirm", json={"code": code}
    )
    [error] = errors(response)
    assert error["rule"] == "code_expired"
    assert "ask for a new code" in error["message"]


async def test_actions_need_a_token_for_that_number(intake: httpx.AsyncClient) -> None:
    number, other = await submit(intake), await submit(intake)
    body = {"text": "More details."}
    missing = await intake.post(f"/api/v1/submissions/{number}/supplements", json=body)
    forged = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json=body,
        headers={"X-Self-Service-Token": issue_token("not-the-secret", number)},
    )
    someone_elses = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json=body,
        headers=await token_for(intake, other),
    )
    assert [r.status_code for r in (missing, forged, someone_elses)] == [401, 401, 401]
    assert missing.json()["code"] == "self_service_token_required"


# Supplement ----------------------------------------------------------------------------------


async def test_supplement_with_text_and_a_file(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    headers = await token_for(intake, number)
    upload = await intake.post(
        "/api/v1/attachments",
        files={"file": ("receipt.pdf", sample_files.pdf(), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["id"]
    response = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={"text": "The officer's badge was 4471.", "attachments": [attachment_id]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    [(topic, event)] = await events(intake, number, SUBMISSION_SUPPLEMENTED_V1)
    assert topic == SUBMISSIONS_TOPIC
    assert event.subject == number
    assert event.data["text"] == "The officer's badge was 4471."
    assert event.data["attachments"] == [attachment_id]
    assert event.data["supplement_id"] == response.json()["supplement_id"]
    # The file now belongs to this submission and cannot be given to another.
    again = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={"attachments": [attachment_id]},
        headers=headers,
    )
    assert again.status_code == 422
    assert again.json()["code"] == "attachment_already_used"
    status = await intake.get(
        f"/api/v1/submissions/{number}/status",
        headers={"X-Submitter-Email": await email_of(intake, number)},
    )
    [summary] = status.json()["supplements"]
    assert summary["attachment_count"] == 1
    assert "4471" not in status.text


async def test_a_supplement_answering_a_request_is_a_v2_event(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    headers = await token_for(intake, number)
    request_id = uuid.uuid4().hex
    bad = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={"text": "Lane 4.", "reply_to_request": "../etc"},
        headers=headers,
    )
    assert {(e["field"], e["rule"]) for e in errors(bad)} == {
        ("reply_to_request", "string_pattern_mismatch")
    }
    response = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={"text": "Lane 4.", "reply_to_request": request_id},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["reply_to_request"] == request_id
    [(_, event)] = await events(intake, number, SUBMISSION_SUPPLEMENTED_V2)
    assert event.data["reply_to_request"] == request_id
    assert await events(intake, number, SUBMISSION_SUPPLEMENTED_V1) == []


async def test_empty_supplement_is_refused(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    response = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={"text": "  "},
        headers=await token_for(intake, number),
    )
    assert {(e["field"], e["rule"]) for e in errors(response)} == {("text", "string_too_short")}
    response = await intake.post(
        f"/api/v1/submissions/{number}/supplements",
        json={},
        headers=await token_for(intake, number),
    )
    assert [(e["field"], e["rule"]) for e in errors(response)] == [
        ("text", "text_or_attachments_required")
    ]


# Correct -------------------------------------------------------------------------------------


async def test_correction_keeps_the_original(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    headers = await token_for(intake, number)
    response = await intake.post(
        f"/api/v1/submissions/{number}/corrections",
        json={"field": "contact.phone", "value": "619 555 0199", "reason": "Typo"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["previous_value"] == "619 555 0142"
    async with sessions(intake)() as session:
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == number)
        )
        amendments = list(
            await session.scalars(select(Amendment).where(Amendment.control_number == number))
        )
    assert submission is not None
    assert submission.original["contact"]["phone"] == "619 555 0142"
    assert [(a.field, a.previous_value, a.new_value, a.reason) for a in amendments] == [
        ("contact.phone", "619 555 0142", "619 555 0199", "Typo")
    ]
    [(_topic, event)] = await events(intake, number, SUBMISSION_CORRECTED_V1)
    assert (event.data["field"], event.data["previous_value"], event.data["new_value"]) == (
        "contact.phone",
        "619 555 0142",
        "619 555 0199",
    )
    # A second correction starts from the corrected value, not the original.
    second = await intake.post(
        f"/api/v1/submissions/{number}/corrections",
        json={"field": "contact.phone", "value": "619 555 0100"},
        headers=headers,
    )
    assert second.json()["previous_value"] == "619 555 0199"
    status = await intake.get(
        f"/api/v1/submissions/{number}/status",
        headers={"X-Submitter-Email": await email_of(intake, number)},
    )
    # The email-only status lookup says what changed, never the values.
    amendments = status.json()["amendments"]
    assert [a["field"] for a in amendments] == ["contact.phone", "contact.phone"]
    assert "619 555" not in status.text


async def test_correction_of_a_field_off_the_path_is_refused(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)  # border_patrol: no trade section
    response = await intake.post(
        f"/api/v1/submissions/{number}/corrections",
        json={"field": "trade.entry_type", "value": "Consumption entry"},
        headers=await token_for(intake, number),
    )
    [error] = errors(response)
    assert (error["field"], error["rule"]) == ("field", "not_on_path")
    assert "trade.entry_type" in error["message"]
    assert await events(intake, number, SUBMISSION_CORRECTED_V1) == []


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("contact.phone", "call me maybe", "string_pattern_mismatch"),
        ("incident.incident_date", "2999-01-01", "date_in_future"),
        ("contact.email", "not-an-email", "value_error"),
        ("contact.last_name", "", "missing"),
    ],
)
async def test_invalid_value_names_the_rule(
    intake: httpx.AsyncClient, field: str, value: str, rule: str
) -> None:
    number = await submit(intake)
    response = await intake.post(
        f"/api/v1/submissions/{number}/corrections",
        json={"field": field, "value": value},
        headers=await token_for(intake, number),
    )
    [error] = errors(response)
    assert (error["field"], error["rule"]) == ("value", rule)
    assert field in error["message"]


async def test_corrected_email_receives_the_next_code(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    new_email = f"maria.new+{uuid.uuid4().hex[:8]}@example.org"
    response = await intake.post(
        f"/api/v1/submissions/{number}/corrections",
        json={"field": "contact.email", "value": new_email},
        headers=await token_for(intake, number),
    )
    assert response.status_code == 201, response.text
    assert await request_code(intake, number, new_email) is not None


# Withdraw ------------------------------------------------------------------------------------


async def test_withdraw_once_then_everything_is_refused(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    headers = await token_for(intake, number)
    url = f"/api/v1/submissions/{number}"
    unconfirmed = await intake.post(f"{url}/withdrawal", json={}, headers=headers)
    assert {(e["field"], e["rule"]) for e in errors(unconfirmed)} == {("confirm", "missing")}
    first = await intake.post(
        f"{url}/withdrawal", json={"confirm": True, "reason": "Resolved"}, headers=headers
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "withdrawn"
    second = await intake.post(f"{url}/withdrawal", json={"confirm": True}, headers=headers)
    supplement = await intake.post(f"{url}/supplements", json={"text": "More"}, headers=headers)
    correction = await intake.post(
        f"{url}/corrections", json={"field": "contact.city", "value": "San Diego"}, headers=headers
    )
    for refused in (second, supplement, correction):
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "submission_closed"
        assert "withdrawn" in refused.json()["detail"]
    [(topic, event)] = await events(intake, number, SUBMISSION_WITHDRAWN_V1)
    assert topic == SUBMISSIONS_TOPIC
    assert event.data["reason"] == "Resolved"
    status = await intake.get(
        f"{url}/status", headers={"X-Submitter-Email": await email_of(intake, number)}
    )
    assert status.json()["status"] == "withdrawn"


async def test_closed_case_cannot_be_changed(intake: httpx.AsyncClient) -> None:
    number = await submit(intake)
    headers = await token_for(intake, number)
    async with sessions(intake)() as session:
        await session.execute(
            update(Submission).where(Submission.control_number == number).values(status="closed")
        )
        await session.commit()
    response = await intake.post(
        f"/api/v1/submissions/{number}/withdrawal", json={"confirm": True}, headers=headers
    )
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


async def test_asking_for_codes_is_rate_limited_like_submissions(
    tmp_path_factory: pytest.TempPathFactory, infra: Infra
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('limited') / 'intake.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = Settings(
        database_url=url,
        platform=infra.isolated_platform(),
        rate_limit_burst=1,
        rate_limit_per_minute=1,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        path = f"/api/v1/submissions/{new_control_number()}/verification"
        first = await client.post(path, json={"email": "maria@example.org"})
        second = await client.post(path, json={"email": "maria@example.org"})
    assert first.status_code == 202
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > 0
