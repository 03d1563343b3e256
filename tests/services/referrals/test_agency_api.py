"""The staff and agency referral APIs on SQLite and PostgreSQL: each change writes the
referral's row and its event in one transaction; an agency sees and answers only its own."""

import json
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_referrals.models import OutboxRecord
from ombuds_shared.events import (
    REFERRAL_ACKNOWLEDGED_V1,
    REFERRAL_CREATED_V1,
    REFERRAL_DISPOSITION_RECEIVED_V1,
    REFERRAL_QUESTION_ASKED_V1,
    REFERRAL_RECALLED_V1,
    REFERRAL_RESPONDED_V1,
    REFERRALS_TOPIC,
)
from support.referrals import STAFF, issue_key, refer

Sessions = async_sessionmaker[AsyncSession]


async def events_of(sessions: Sessions, referral_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxRecord)
                .where(OutboxRecord.topic == REFERRALS_TOPIC)
                .order_by(OutboxRecord.id)
            )
        ).all()
    found = []
    for row in rows:
        event = json.loads(row.payload)
        if event["data"]["referral_id"] == referral_id:
            found.append((row.event_type, event["data"]))
    return found


async def test_staff_refer_a_case_and_find_it_by_control_number(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    referral = await refer(client, "crcl")
    assert referral["status"] == "created"
    # Temporal is unreachable here: the start waits for the pending-start loop.
    assert referral["workflow_started"] is False
    assert referral["workflow_id"] == f"referral-{referral['id']}"
    listed = await client.get(
        "/api/v1/referrals",
        params={"control_number": referral["control_number"].lower()},
        headers=STAFF,
    )
    assert [r["id"] for r in listed.json()] == [referral["id"]]
    [(event_type, data)] = await events_of(sessions, referral["id"])
    assert event_type == REFERRAL_CREATED_V1
    assert data["recipient_name"] == "DHS Office for Civil Rights and Civil Liberties"
    assert data["purpose"] == referral["purpose"]


async def test_staff_api_refuses_bad_input(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        "/api/v1/referrals",
        json={
            "control_number": "OMB-00000-00000-0",
            "recipient_id": "nobody",
            "purpose": "p",
            "nature": "n",
        },
        headers=STAFF,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("recipient_id:")
    typo = await client.post(
        "/api/v1/referrals",
        json={"control_number": "OMB-12345", "recipient_id": "crcl", "purpose": "p", "nature": "n"},
        headers=STAFF,
    )
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["field"] == "control_number"
    listed = await client.get(
        "/api/v1/referrals", params={"control_number": "nonsense"}, headers=STAFF
    )
    assert listed.status_code == 422
    assert (
        await client.get("/api/v1/referrals", params={"control_number": "x"})
    ).status_code == 401


async def test_an_agency_answers_its_referral_through_to_a_disposition(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    referral = await refer(client, "state")
    agency = await issue_key(client, "state")
    base = f"/api/v1/agency/referrals/{referral['id']}"

    acknowledged = await client.post(f"{base}/acknowledge", headers=agency)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_at"] is not None
    # Acknowledging twice changes nothing and emits nothing more.
    assert (await client.post(f"{base}/acknowledge", headers=agency)).status_code == 200

    question = await client.post(
        f"{base}/questions", json={"text": "Which port of entry?"}, headers=agency
    )
    assert question.status_code == 201
    response = await client.post(
        f"{base}/response", json={"text": "We have opened an inquiry."}, headers=agency
    )
    assert response.json()["status"] == "responded"
    disposition = await client.post(
        f"{base}/disposition", json={"disposition": "Visa reissued."}, headers=agency
    )
    assert disposition.json()["status"] == "disposition_received"
    assert disposition.json()["disposition"] == "Visa reissued."

    later = await client.post(f"{base}/response", json={"text": "More."}, headers=agency)
    assert later.status_code == 409

    events = await events_of(sessions, referral["id"])
    assert [event_type for event_type, _ in events] == [
        REFERRAL_CREATED_V1,
        REFERRAL_ACKNOWLEDGED_V1,
        REFERRAL_QUESTION_ASKED_V1,
        REFERRAL_RESPONDED_V1,
        REFERRAL_DISPOSITION_RECEIVED_V1,
    ]
    assert events[-1][1]["disposition"] == "Visa reissued."


async def test_an_agency_sees_only_its_own_referrals(client: httpx.AsyncClient) -> None:
    theirs = await refer(client, "fbi")
    mine = await refer(client, "oig")
    oig = await issue_key(client, "oig")

    listed = await client.get("/api/v1/agency/referrals", headers=oig)
    ids = {r["id"] for r in listed.json()}
    assert mine["id"] in ids
    assert theirs["id"] not in ids

    for action in ("acknowledge", "questions", "response", "disposition"):
        body = {"disposition": "x"} if action == "disposition" else {"text": "x"}
        response = await client.post(
            f"/api/v1/agency/referrals/{theirs['id']}/{action}", json=body, headers=oig
        )
        assert response.status_code == 404, action
        missing = await client.post(
            f"/api/v1/agency/referrals/no-such-id/{action}", json=body, headers=oig
        )
        assert response.json()["detail"] == missing.json()["detail"].replace(
            "no-such-id", theirs["id"]
        )


async def test_a_wrong_or_missing_key_is_refused(client: httpx.AsyncClient) -> None:
    referral = await refer(client, "fbi")
    real = (await issue_key(client, "fbi"))["Authorization"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    url = f"/api/v1/agency/referrals/{referral['id']}/acknowledge"
    for headers in (
        {"Authorization": forged},
        {"Authorization": "Bearer omb_deadbeef_nothing"},
        {"Authorization": "Bearer not-a-key"},
        STAFF,
        {},
    ):
        response = await client.post(url, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_disabled_agency_key_stops_working(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/admin/directory",
        json={
            "id": "short-lived",
            "kind": "outside_agency",
            "name": "Short-lived",
            "postal_address": "Somewhere",
            "kafka_enabled": True,
            "acknowledgement_business_days": 1,
            "response_business_days": 1,
        },
        headers=STAFF,
    )
    assert created.status_code in (201, 409)
    key = await issue_key(client, "short-lived")
    assert (await client.get("/api/v1/agency/referrals", headers=key)).status_code == 200
    await client.post("/api/v1/admin/directory/short-lived/disable", headers=STAFF)
    assert (await client.get("/api/v1/agency/referrals", headers=key)).status_code == 401


async def test_staff_recall_a_referral(client: httpx.AsyncClient, sessions: Sessions) -> None:
    referral = await refer(client, "dhs-trip")
    agency = await issue_key(client, "dhs-trip")
    recalled = await client.post(
        f"/api/v1/referrals/{referral['id']}/recall",
        json={"reason": "referred in error"},
        headers=STAFF,
    )
    assert recalled.status_code == 200
    assert recalled.json()["status"] == "recalled"
    again = await client.post(
        f"/api/v1/referrals/{referral['id']}/recall", json={"reason": "x"}, headers=STAFF
    )
    assert again.status_code == 409
    late = await client.post(
        f"/api/v1/agency/referrals/{referral['id']}/acknowledge", headers=agency
    )
    assert late.status_code == 409
    events = await events_of(sessions, referral["id"])
    assert events[-1][0] == REFERRAL_RECALLED_V1
    assert events[-1][1]["reason"] == "referred in error"
