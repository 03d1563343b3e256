"""Requesting information from the submitter, and their answer coming back (real database)."""

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.models import OutboxRecord
from ombuds_shared.business_days import business_deadline
from ombuds_shared.contracts import STATUS_CHANGED_SIGNAL
from ombuds_shared.events import (
    CASE_INFORMATION_REQUESTED_V1,
    SUBMISSION_SUPPLEMENTED_V2,
    CloudEvent,
    SubmissionSupplementedV2,
    make_event,
)

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture
def handler(session_factory: SessionFactory) -> SelfServiceHandler:
    return SelfServiceHandler(session_factory, signals=None)


async def assigned_case(client: httpx.AsyncClient, open_case: OpenCase) -> str:
    number = await open_case()
    response = await client.post(
        f"/api/v1/cases/{number}/assignment", json={"office": "field_operations"}
    )
    assert response.status_code == 200, response.text
    return number


def reply(number: str, request_id: str | None, text: str = "It was lane 4.") -> CloudEvent:
    body = SubmissionSupplementedV2(
        control_number=number,
        supplement_id=uuid.uuid4().hex,
        text=text,
        attachments=["att-9"],
        reply_to_request=request_id,
        supplemented_at=datetime.now(UTC),
    )
    return make_event("ombuds/intake", SUBMISSION_SUPPLEMENTED_V2, body, number)


async def signals_of(session_factory: SessionFactory, number: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    async with session_factory() as session:
        rows = await session.scalars(
            select(PendingSignal)
            .where(PendingSignal.control_number == number)
            .order_by(PendingSignal.id)
        )
        return [(row.signal, row.payload) for row in rows]


async def test_a_request_moves_the_case_and_stages_event_signal_and_timeline(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await assigned_case(client, open_case)
    before = datetime.now(UTC)

    response = await client.post(
        f"/api/v1/cases/{number}/information-requests",
        json={"question": "Which lane were you in?", "due_in_business_days": 5},
    )

    assert response.status_code == 201, response.text
    case = response.json()
    assert case["status"] == "awaiting_information"
    [request] = case["information_requests"]
    assert request["question"] == "Which lane were you in?"
    assert request["answered_at"] is None
    assert request["answer"] is None
    due = datetime.fromisoformat(request["due_at"])
    assert business_deadline(before, 5).date() == due.date()
    async with session_factory() as session:
        [event] = (
            await session.scalars(
                select(OutboxRecord.payload).where(
                    OutboxRecord.message_key == number,
                    OutboxRecord.event_type == CASE_INFORMATION_REQUESTED_V1,
                )
            )
        ).all()
    data = json.loads(event)["data"]
    assert data["request_id"] == request["request_id"]
    assert data["reply_path"] == f"/manage/{number}/reply/{request['request_id']}"
    assert data["question"] == "Which lane were you in?"
    # Other signals (status_changed for the assignment) go to the workflow too.
    staged = await signals_of(session_factory, number)
    [payload] = [payload for signal, payload in staged if signal == "request_information"]
    assert payload["request_id"] == request["request_id"]
    timeline = (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    assert "information_requested" in [entry["kind"] for entry in timeline]
    audit = (await client.get("/api/v1/audit", params={"record_id": number})).json()
    fields = [r["fields"] for r in audit["items"] if r["action"] == "create"]
    assert ["information-requests.due_in_business_days", "information-requests.question"] in fields


async def test_the_default_deadline_is_the_setting(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await assigned_case(client, open_case)
    before = datetime.now(UTC)
    response = await client.post(
        f"/api/v1/cases/{number}/information-requests", json={"question": "Which lane?"}
    )
    due = datetime.fromisoformat(response.json()["information_requests"][0]["due_at"])
    assert due.date() == business_deadline(before, 20).date()


async def test_a_second_open_request_and_a_closed_case_answer_409(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await assigned_case(client, open_case)
    path = f"/api/v1/cases/{number}/information-requests"
    assert (await client.post(path, json={"question": "Which lane?"})).status_code == 201
    again = await client.post(path, json={"question": "And the time?"})
    assert again.status_code == 409
    assert "awaiting_information" in again.text


async def test_a_blank_question_names_the_field(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await assigned_case(client, open_case)
    response = await client.post(
        f"/api/v1/cases/{number}/information-requests",
        json={"question": " ", "due_in_business_days": 0},
    )
    assert response.status_code == 422
    errors = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert ("question", "string_too_short") in errors
    assert ("due_in_business_days", "greater_than_equal") in errors


async def test_the_status_action_to_awaiting_information_is_a_request_too(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await assigned_case(client, open_case)
    response = await client.post(
        f"/api/v1/cases/{number}/status",
        json={"status": "awaiting_information", "reason": "Which lane?"},
    )
    assert response.status_code == 200, response.text
    [request] = response.json()["information_requests"]
    assert request["question"] == "Which lane?"


async def test_the_answer_attaches_once_and_sends_the_case_back(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    handler: SelfServiceHandler,
    session_factory: SessionFactory,
) -> None:
    number = await assigned_case(client, open_case)
    asked = await client.post(
        f"/api/v1/cases/{number}/information-requests", json={"question": "Which lane?"}
    )
    request_id = asked.json()["information_requests"][0]["request_id"]
    answer = reply(number, request_id)

    await handler(answer)
    await handler(answer)

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["status"] == "assigned"
    [request] = case["information_requests"]
    assert request["answered_at"] is not None
    assert request["answer"]["text"] == "It was lane 4."
    assert request["answer"]["attachments"] == ["att-9"]
    assert len(case["supplements"]) == 1
    kinds = [
        e["kind"] for e in (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    ]
    assert kinds.count("information_received") == 1
    assert kinds[-2:] == ["information_received", "status_changed"]
    staged = await signals_of(session_factory, number)
    assert [s for s, _ in staged if s != STATUS_CHANGED_SIGNAL] == [
        "request_information",
        "information_received",
    ]


async def test_a_reply_to_an_unknown_request_is_kept_as_a_supplement_only(
    client: httpx.AsyncClient, open_case: OpenCase, handler: SelfServiceHandler
) -> None:
    number = await assigned_case(client, open_case)
    await client.post(
        f"/api/v1/cases/{number}/information-requests", json={"question": "Which lane?"}
    )
    await handler(reply(number, "not-a-request"))
    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["status"] == "awaiting_information"
    assert case["information_requests"][0]["answered_at"] is None
    assert len(case["supplements"]) == 1
