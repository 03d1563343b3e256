"""The submitter's self-service events, applied once each through the inbox (real database)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import PendingSignal, Supplement
from ombuds_cases.case.selfservice import CaseNotOpenedYetError, SelfServiceHandler
from ombuds_cases.models import InboxRecord
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_SUPPLEMENTED_V1,
    SUBMISSION_WITHDRAWN_V1,
    CloudEvent,
    EventBody,
    SubmissionCorrectedV1,
    SubmissionSupplementedV1,
    SubmissionWithdrawnV1,
    make_event,
)

from .conftest import OpenCase, outbox_types

SessionFactory = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def handler(session_factory: SessionFactory) -> SelfServiceHandler:
    return SelfServiceHandler(session_factory, signals=None)


def event(event_type: str, body: EventBody, control_number: str) -> CloudEvent:
    return make_event("ombuds/intake", event_type, body, control_number)


def supplement(number: str, text: str | None = "I found my receipt.") -> CloudEvent:
    body = SubmissionSupplementedV1(
        control_number=number,
        supplement_id=uuid.uuid4().hex,
        text=text,
        attachments=["att-1", "att-2"],
        supplemented_at=NOW,
    )
    return event(SUBMISSION_SUPPLEMENTED_V1, body, number)


def correction(number: str, field: str, previous: Any, new: Any) -> CloudEvent:
    body = SubmissionCorrectedV1(
        control_number=number,
        amendment_id=uuid.uuid4().hex,
        field=field,
        previous_value=previous,
        new_value=new,
        reason="typo",
        corrected_at=NOW,
    )
    return event(SUBMISSION_CORRECTED_V1, body, number)


def withdrawal(number: str) -> CloudEvent:
    body = SubmissionWithdrawnV1(control_number=number, reason="sorted out", withdrawn_at=NOW)
    return event(SUBMISSION_WITHDRAWN_V1, body, number)


async def timeline_kinds(client: httpx.AsyncClient, number: str) -> list[str]:
    response = await client.get(f"/api/v1/cases/{number}/timeline")
    return [entry["kind"] for entry in response.json()["entries"]]


async def test_a_supplement_is_kept_once_even_when_delivered_twice(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    handler: SelfServiceHandler,
    session_factory: SessionFactory,
) -> None:
    number = await open_case()
    delivered = supplement(number)

    await handler(delivered)
    await handler(delivered)

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    [kept] = case["supplements"]
    assert (kept["text"], kept["attachments"]) == ("I found my receipt.", ["att-1", "att-2"])
    assert case["narrative"] == "I waited six hours at the port."
    assert await timeline_kinds(client, number) == ["opened", "supplemented"]
    assert await outbox_types(session_factory, number) == [
        "ombuds.case.opened.v1",
        "ombuds.case.supplemented.v1",
    ]


async def test_two_supplements_are_both_kept(
    client: httpx.AsyncClient, open_case: OpenCase, handler: SelfServiceHandler
) -> None:
    number = await open_case()
    await handler(supplement(number, text="first"))
    await handler(supplement(number, text=None))
    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert [s["text"] for s in case["supplements"]] == ["first", None]


async def test_a_correction_updates_the_case_and_keeps_the_original(
    client: httpx.AsyncClient, open_case: OpenCase, handler: SelfServiceHandler
) -> None:
    number = await open_case()
    narrative = correction(number, "incident.narrative", "ignored", "I waited seven hours.")

    await handler(narrative)
    await handler(narrative)
    await handler(correction(number, "incident.incident_date", "2026-11-01", "2026-11-02"))
    await handler(correction(number, "contact.phone", None, "+1 619 555 0199"))

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["narrative"] == "I waited seven hours."
    assert case["incident_date"] == "2026-11-02"
    assert case["details"]["incident"]["narrative"] == "I waited seven hours."
    assert case["details"]["contact"]["phone"] == "+1 619 555 0199"
    # The previous value is the one the case held, not what the event claimed.
    assert [(a["field"], a["previous_value"], a["new_value"]) for a in case["amendments"]] == [
        ("incident.narrative", "I waited six hours at the port.", "I waited seven hours."),
        ("incident.incident_date", "2026-11-01", "2026-11-02"),
        ("contact.phone", "+1 619 555 0100", "+1 619 555 0199"),
    ]
    assert await timeline_kinds(client, number) == ["opened", "amended", "amended", "amended"]


async def test_a_withdrawal_withdraws_once_and_tells_the_workflow(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    handler: SelfServiceHandler,
    session_factory: SessionFactory,
) -> None:
    number = await open_case()
    delivered = withdrawal(number)

    await handler(delivered)
    await handler(delivered)

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert (case["status"], case["disposition"]) == ("withdrawn", "withdrawn_by_submitter")
    assert [c["to_status"] for c in case["status_history"]] == ["received", "withdrawn"]
    # Still retained: the case and its narrative are all there.
    assert case["narrative"] == "I waited six hours at the port."
    async with session_factory() as session:
        signals = list(
            await session.scalars(
                select(PendingSignal.payload).where(PendingSignal.control_number == number)
            )
        )
    assert signals == [{"reason": "sorted out", "already_recorded": True}]
    assert "ombuds.case.withdrawn.v1" in await outbox_types(session_factory, number)


async def test_a_withdrawal_after_closure_is_noted_not_applied(
    client: httpx.AsyncClient, open_case: OpenCase, handler: SelfServiceHandler
) -> None:
    number = await open_case()
    await client.post(
        f"/api/v1/cases/{number}/close", json={"reason": "done", "disposition": "duplicate"}
    )

    await handler(withdrawal(number))

    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert case["status"] == "closed"
    assert (await timeline_kinds(client, number))[-1] == "withdrawal_not_applied"


async def test_an_event_for_an_unknown_case_is_refused_and_applies_once_the_case_exists(
    open_case: OpenCase, handler: SelfServiceHandler, session_factory: SessionFactory
) -> None:
    number = new_control_number()
    early = supplement(number)

    with pytest.raises(CaseNotOpenedYetError, match=number):
        await handler(early)

    async with session_factory() as session:
        claimed = await session.scalar(
            select(func.count()).select_from(InboxRecord).where(InboxRecord.event_id == early.id)
        )
    # Not marked processed: the consumer's retry (or a redelivery) can still apply it.
    assert claimed == 0

    await open_case(control_number=number)
    await handler(early)

    async with session_factory() as session:
        applied = await session.scalar(
            select(func.count())
            .select_from(Supplement)
            .where(Supplement.case_id.is_not(None))
            .where(Supplement.supplement_id == early.data["supplement_id"])
        )
    assert applied == 1
