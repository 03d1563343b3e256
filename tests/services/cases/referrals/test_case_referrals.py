"""Referring a case from the staff workspace and the case following its referral's events,
on SQLite and PostgreSQL (no broker: the events are handed to the consumer's handler)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.models import OutboxRecord
from ombuds_cases.referrals.consumer import ReferralEventHandler
from ombuds_cases.referrals.service import FOLLOWED
from ombuds_shared.events import (
    CASE_REFERRAL_REQUESTED_V1,
    REFERRAL_ACKNOWLEDGED_V1,
    REFERRAL_CREATED_V1,
    REFERRAL_DISPOSITION_RECEIVED_V1,
    REFERRAL_ESCALATED_V1,
    REFERRAL_QUESTION_ASKED_V1,
    REFERRAL_RECALLED_V1,
    REFERRAL_REFUSED_V1,
    REFERRAL_REMINDER_SENT_V1,
    REFERRAL_RESPONDED_V1,
    CloudEvent,
    make_event,
)

from ..conftest import OpenCase

Sessions = async_sessionmaker[AsyncSession]
AT = datetime(2026, 11, 23, 15, tzinfo=UTC)
REFER = {"recipient_id": "crcl", "purpose": "investigation of a civil liberties complaint"}


def referral_event(
    event_type: str, control_number: str, referral_id: str, **fields: Any
) -> CloudEvent:
    """A `referral.*` event as the referrals service publishes it (a fresh event id)."""
    body = FOLLOWED[event_type].model_validate(
        {
            "referral_id": referral_id,
            "control_number": control_number,
            "recipient_id": "crcl",
            "occurred_at": AT,
            **fields,
        }
    )
    return make_event("ombuds-referrals", event_type, body, control_number)


async def assigned_case(client: httpx.AsyncClient, open_case: OpenCase) -> str:
    number = await open_case()
    response = await client.post(
        f"/api/v1/cases/{number}/assignment", json={"office": "field_operations"}
    )
    assert response.json()["status"] == "assigned"
    return number


async def refer(client: httpx.AsyncClient, number: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/cases/{number}/referrals", json={**REFER, **body})
    assert response.status_code == 201, response.text
    detail: dict[str, Any] = response.json()
    return detail


async def requested_events(sessions: Sessions, number: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == CASE_REFERRAL_REQUESTED_V1,
            )
        )
        return [CloudEvent.model_validate_json(row.payload).data for row in rows]


async def test_referring_moves_the_case_and_stages_the_request_with_its_audit(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await assigned_case(client, open_case)

    case = await refer(client, number)

    assert case["status"] == "referred"
    [referral] = case["referrals"]
    assert (referral["recipient_id"], referral["status"]) == ("crcl", "requested")
    [event] = await requested_events(session_factory, number)
    assert event["referral_id"] == referral["referral_id"]
    assert (event["recipient_id"], event["purpose"]) == ("crcl", REFER["purpose"])
    assert event["nature"].startswith("the case record")
    kinds = [
        e["kind"] for e in (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    ]
    assert kinds[-2:] == ["status_changed", "referral_requested"]
    async with session_factory() as session:
        audited = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.record_id == number, AuditRecord.action == "create"
                )
            )
        ).all()
    assert [sorted(a.fields) for a in audited] == [["referrals.purpose", "referrals.recipient_id"]]


async def test_a_second_referral_keeps_the_case_referred(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await assigned_case(client, open_case)
    await refer(client, number)

    case = await refer(client, number, recipient_id="oig", nature="the narrative only")

    assert case["status"] == "referred"
    assert [r["recipient_id"] for r in case["referrals"]] == ["crcl", "oig"]
    assert len(await requested_events(session_factory, number)) == 2


async def test_a_bad_referral_names_the_field_and_the_rule(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await assigned_case(client, open_case)
    for body, field, rule in (
        ({"recipient_id": "CRCL!"}, "recipient_id", "string_pattern_mismatch"),
        ({"purpose": ""}, "purpose", "string_too_short"),
        ({"purpose": "x" * 2001}, "purpose", "string_too_long"),
        ({"channel": "fax"}, "channel", "extra_forbidden"),
    ):
        response = await client.post(f"/api/v1/cases/{number}/referrals", json={**REFER, **body})
        assert response.status_code == 422, response.text
        assert {(e["field"], e["rule"]) for e in response.json()["errors"]} == {(field, rule)}


async def test_a_closed_case_cannot_be_referred(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    closed = await client.post(
        f"/api/v1/cases/{number}/close",
        json={"reason": "answered", "disposition": "information_provided"},
    )
    assert closed.json()["status"] == "closed"

    response = await client.post(f"/api/v1/cases/{number}/referrals", json=REFER)

    assert response.status_code == 409
    assert "refer" in response.text


async def test_the_case_follows_its_referral_to_the_disposition(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await assigned_case(client, open_case)
    referral_id = (await refer(client, number))["referrals"][0]["referral_id"]
    handler = ReferralEventHandler(session_factory)
    created = referral_event(
        REFERRAL_CREATED_V1,
        number,
        referral_id,
        recipient_name="DHS Office for Civil Rights and Civil Liberties",
        recipient_kind="dhs_component",
        purpose=REFER["purpose"],
        nature="complaint",
    )
    events = [
        created,
        created,  # redelivered: the inbox drops it
        referral_event(
            REFERRAL_REMINDER_SENT_V1,
            number,
            referral_id,
            phase="acknowledgement",
            number=1,
            next_deadline=AT,
        ),
        referral_event(REFERRAL_ESCALATED_V1, number, referral_id, phase="acknowledgement"),
        referral_event(REFERRAL_ACKNOWLEDGED_V1, number, referral_id),
        referral_event(REFERRAL_QUESTION_ASKED_V1, number, referral_id, question="Which port?"),
        referral_event(REFERRAL_RESPONDED_V1, number, referral_id, response="Investigating."),
        referral_event(
            REFERRAL_DISPOSITION_RECEIVED_V1,
            number,
            referral_id,
            disposition="Substantiated; the officer was counselled.",
        ),
    ]
    for event in events:
        await handler(event)

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["status"] == "resolved"
    assert case["disposition"] == "referred"
    assert "Substantiated; the officer was counselled." in case["findings"]
    [referral] = case["referrals"]
    assert referral["recipient_name"] == "DHS Office for Civil Rights and Civil Liberties"
    assert referral["status"] == "disposition_received"
    assert (referral["reminders_sent"], referral["questions"]) == (1, 1)
    assert referral["escalated_at"] is not None
    entries = (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    followed = [e["kind"] for e in entries if e["actor"] == "referral:crcl"]
    assert followed == [
        "referral_reminder",
        "referral_escalated",
        "referral_acknowledged",
        "referral_question",
        "referral_responded",
        "referral_disposition",
        "disposition_set",
        "status_changed",
    ]
    listed = (await client.get(f"/api/v1/cases/{number}/referrals")).json()
    assert [r["status"] for r in listed] == ["disposition_received"]


async def test_a_recall_sends_the_case_back_to_assigned_unless_another_referral_is_open(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await assigned_case(client, open_case)
    first = (await refer(client, number))["referrals"][0]["referral_id"]
    second = (await refer(client, number, recipient_id="oig"))["referrals"][1]["referral_id"]
    handler = ReferralEventHandler(session_factory)

    await handler(referral_event(REFERRAL_RECALLED_V1, number, first, reason="sent in error"))
    still = (await client.get(f"/api/v1/cases/{number}")).json()
    assert still["status"] == "referred"  # the OIG referral is still open

    await handler(
        referral_event(REFERRAL_REFUSED_V1, number, second, reason="no enabled directory entry")
    )
    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["status"] == "assigned"
    assert [r["status"] for r in case["referrals"]] == ["recalled", "refused"]
    assert case["referrals"][0]["ended_reason"] == "sent in error"


async def test_events_of_a_referral_made_elsewhere_are_followed_too(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    """A referral made through the referrals service's own API gets its row from its events."""
    number = await assigned_case(client, open_case)
    referral_id = str(uuid.uuid4())

    await ReferralEventHandler(session_factory)(
        referral_event(REFERRAL_ACKNOWLEDGED_V1, number, referral_id)
    )

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert [(r["referral_id"], r["status"]) for r in case["referrals"]] == [
        (referral_id, "acknowledged")
    ]
    assert case["status"] == "assigned"
