"""The redirect action over HTTP: DHS TRIP and an outside agency, each closing the case with
its disposition and announcing what the submitter must be told; anonymous cases carry no
address; a closed case cannot be redirected; a bad body names the field."""

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.models import OutboxRecord
from ombuds_shared.events import CloudEvent

from ..conftest import OpenCase

Sessions = async_sessionmaker[AsyncSession]


async def redirected_event(sessions: Sessions, number: str) -> dict[str, Any]:
    async with sessions() as session:
        [payload] = (
            await session.scalars(
                select(OutboxRecord.payload).where(
                    OutboxRecord.message_key == number,
                    OutboxRecord.event_type == "ombuds.case.redirected.v1",
                )
            )
        ).all()
    data: dict[str, Any] = CloudEvent.model_validate_json(payload).data
    return data


async def test_redirect_to_dhs_trip_closes_the_case_and_announces_it(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case(language="es")
    response = await client.post(
        f"/api/v1/cases/{number}/redirect",
        json={"to": "dhs_trip", "reason": "repeated secondary inspections: travel redress"},
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["status"], case["disposition"]) == ("closed", "redirected_to_dhs_trip")
    assert case["closed_at"] is not None
    assert [c["to_status"] for c in case["status_history"]] == ["received", "redirected", "closed"]

    event = await redirected_event(session_factory, number)
    assert event["to"] == "dhs_trip"
    assert event["recipient_email"] == "ana@example.org"
    assert event["recipient_name"] == "Ana Pérez"
    assert event["language"] == "es"
    assert event["anonymous"] is False
    async with session_factory() as session:
        signals = list(
            await session.scalars(
                select(PendingSignal.signal).where(PendingSignal.control_number == number)
            )
        )
    assert signals == ["close_case"]

    again = await client.post(
        f"/api/v1/cases/{number}/redirect", json={"to": "dhs_trip", "reason": "twice"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")


async def test_redirect_to_an_outside_agency_is_no_jurisdiction(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    response = await client.post(
        f"/api/v1/cases/{number}/redirect",
        json={
            "to": "outside_agency",
            "agency_name": "Transportation Security Administration",
            "reason": "airport checkpoint screening",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["disposition"] == "no_jurisdiction"
    event = await redirected_event(session_factory, number)
    assert event["agency_name"] == "Transportation Security Administration"
    assert event["disposition"] == "no_jurisdiction"


async def test_an_anonymous_case_announces_no_address(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case(anonymous=True, contact=None)
    response = await client.post(
        f"/api/v1/cases/{number}/redirect", json={"to": "dhs_trip", "reason": "redress"}
    )
    assert response.status_code == 200, response.text
    event = await redirected_event(session_factory, number)
    assert event["anonymous"] is True
    assert event["recipient_email"] is None
    assert event["recipient_name"] is None


async def test_a_bad_redirect_names_the_field(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    unnamed = await client.post(
        f"/api/v1/cases/{number}/redirect", json={"to": "outside_agency", "reason": "x"}
    )
    assert unnamed.status_code == 422
    assert "agency_name" in unnamed.json()["errors"][0]["message"]
    wrong = await client.post(
        f"/api/v1/cases/{number}/redirect", json={"to": "mars", "reason": "x"}
    )
    assert {e["field"]: e["rule"] for e in wrong.json()["errors"]} == {"to": "literal_error"}
