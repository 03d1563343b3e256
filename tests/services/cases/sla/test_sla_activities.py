"""The service-level activities: a breach and an unanswered request, each recorded once; and
the `status_changed` signal staged with every staff move between working statuses."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.sla.activities import SlaActivities
from ombuds_shared.contracts import RecordInformationOverdue, RecordSlaBreach, StatusChanged

from ..conftest import OpenCase, outbox_types

Sessions = async_sessionmaker[AsyncSession]
DUE = datetime(2031, 12, 2, 15, tzinfo=UTC)


@pytest.fixture
def activities(session_factory: Sessions) -> SlaActivities:
    return SlaActivities(session_factory)


def breach(number: str, key: str = "triage") -> RecordSlaBreach:
    return RecordSlaBreach(
        control_number=number,
        clock="triage",
        key=key,
        due_at=DUE,
        breached_at=DUE,
        business_days=3,
    )


async def timeline(client: httpx.AsyncClient, number: str) -> list[tuple[str, str]]:
    entries = (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    return [(e["kind"], e["summary"]) for e in entries]


async def test_a_breach_is_recorded_and_announced_once_per_clock_cycle(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    activities: SlaActivities,
    session_factory: Sessions,
) -> None:
    number = await open_case()
    env = ActivityEnvironment()

    first = await env.run(activities.record_sla_breach, breach(number))
    retried = await env.run(activities.record_sla_breach, breach(number))
    next_cycle = await env.run(activities.record_sla_breach, breach(number, key="triage-2"))

    assert (first, retried, next_cycle) == (True, False, True)
    breaches = [s for kind, s in await timeline(client, number) if kind == "sla_breached"]
    assert breaches == [
        "SLA breached: triage was due 2031-12-02 15:00 UTC (3 business days)",
        "SLA breached: triage was due 2031-12-02 15:00 UTC (3 business days)",
    ]
    events = await outbox_types(session_factory, number)
    assert events.count("ombuds.case.sla-breached.v1") == 2


async def test_an_unanswered_request_is_recorded_once(
    client: httpx.AsyncClient, open_case: OpenCase, activities: SlaActivities
) -> None:
    number = await open_case()
    env = ActivityEnvironment()
    request = RecordInformationOverdue(control_number=number, request_id="r1", due_at=DUE)

    results = [await env.run(activities.record_information_overdue, request) for _ in range(2)]

    assert results == [True, False]
    overdue = [s for kind, s in await timeline(client, number) if kind == "information_overdue"]
    assert len(overdue) == 1
    assert overdue[0].startswith("no reply to the request for information (due 2031-12-02")


async def staged(sessions: Sessions, number: str, signal: str) -> list[StatusChanged]:
    async with sessions() as session:
        rows = await session.scalars(
            select(PendingSignal.payload)
            .where(PendingSignal.control_number == number, PendingSignal.signal == signal)
            .order_by(PendingSignal.id)
        )
        return [StatusChanged.model_validate(payload) for payload in rows.all()]


async def test_staff_moves_between_working_statuses_signal_the_workflow(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await open_case()

    assigned = await client.post(
        f"/api/v1/cases/{number}/assignment", json={"office": "field_operations"}
    )
    resolved = await client.post(
        f"/api/v1/cases/{number}/status", json={"status": "resolved", "reason": "answered"}
    )

    assert (assigned.status_code, resolved.status_code) == (200, 200)
    signals = await staged(session_factory, number, "status_changed")
    assert [(s.to_status, s.office) for s in signals] == [
        ("assigned", "field_operations"),
        ("resolved", None),
    ]
    assert signals[1].reason == "answered"


async def test_a_refused_move_stages_no_signal(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await open_case()

    refused = await client.post(
        f"/api/v1/cases/{number}/status", json={"status": "referred", "reason": "too early"}
    )

    assert refused.status_code == 409
    assert await staged(session_factory, number, "status_changed") == []
