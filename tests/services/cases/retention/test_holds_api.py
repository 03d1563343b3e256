"""Legal holds through the API: kept with who, when and why, audited, staged for the
Retention run in the same transaction, and reflected in the schedule projection."""

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.case.records import PendingSignal, TimelineEntry
from ombuds_cases.models import Case
from ombuds_cases.retention import schedule
from ombuds_cases.retention.models import CANCELLED, HELD, WAITING
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL, REOPEN_CASE_SIGNAL
from ombuds_shared.db import UnitOfWork

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]
CLOSE = {"reason": "answered", "disposition": "resolved_with_explanation"}
CLOSED_AT = datetime(2030, 2, 28, 12, tzinfo=UTC)


async def closed_case(client: httpx.AsyncClient, open_case: OpenCase) -> str:
    number = await open_case()
    response = await client.post(f"/api/v1/cases/{number}/close", json=CLOSE)
    assert response.status_code == 200, response.text
    return number


async def staged(sessions: SessionFactory, number: str) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(PendingSignal)
            .where(PendingSignal.control_number == number)
            .order_by(PendingSignal.id)
        )
        return [(row.signal, row.payload) for row in rows]


async def project_start(sessions: SessionFactory, number: str) -> None:
    """What the signal sender does once Temporal took the closure."""
    async with UnitOfWork(sessions) as uow:
        await schedule.follow_signal(uow.session, number, CLOSE_CASE_SIGNAL, CLOSED_AT)
        await uow.commit()


async def test_a_hold_is_recorded_staged_audited_and_shown_then_lifted(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await closed_case(client, open_case)
    await project_start(session_factory, number)

    placed = await client.post(
        f"/api/v1/cases/{number}/holds", json={"reason": "litigation: Doe v. Agency"}
    )

    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["reason"], hold["placed_by"], hold["lifted_at"]) == (
        "litigation: Doe v. Agency",
        "development@localhost",
        None,
    )
    view = (await client.get(f"/api/v1/cases/{number}/retention")).json()
    assert view["state"] == HELD
    assert view["due_at"].startswith("2035-02-28T12:00:00")
    assert [h["reason"] for h in view["holds"]] == ["litigation: Doe v. Agency"]

    lifted = await client.post(
        f"/api/v1/cases/{number}/holds/lift", json={"reason": "case settled"}
    )

    assert lifted.status_code == 200, lifted.text
    [done] = lifted.json()
    assert done["lift_reason"] == "case settled"
    assert done["lifted_at"] is not None
    assert done["lifted_by"] == hold["placed_by"]
    assert (await client.get(f"/api/v1/cases/{number}/retention")).json()["state"] == WAITING
    signals = await staged(session_factory, number)
    assert [name for name, _ in signals] == [
        CLOSE_CASE_SIGNAL,
        "retention:place_hold",
        "retention:lift_hold",
    ]
    assert signals[1][1] == {"reason": "litigation: Doe v. Agency", "by": hold["placed_by"]}
    async with session_factory() as session:
        case_id = await session.scalar(select(Case.id).where(Case.control_number == number))
        kinds = list(
            await session.scalars(
                select(TimelineEntry.kind).where(TimelineEntry.case_id == case_id)
            )
        )
        audited = list(
            await session.scalars(
                select(AuditRecord.action).where(
                    AuditRecord.record_type == "retention_hold", AuditRecord.record_id == number
                )
            )
        )
    assert kinds[-2:] == ["hold_placed", "hold_lifted"]
    assert sorted(audited) == ["create", "update"]


async def test_a_hold_placed_before_the_run_started_makes_the_projection_held(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await closed_case(client, open_case)
    placed = await client.post(f"/api/v1/cases/{number}/holds", json={"reason": "FOIA appeal"})
    assert placed.status_code == 201

    await project_start(session_factory, number)

    assert (await client.get(f"/api/v1/cases/{number}/retention")).json()["state"] == HELD


async def test_holds_refuse_an_open_case_an_empty_reason_and_a_lift_with_nothing_standing(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    open_number = await open_case()
    refused = await client.post(f"/api/v1/cases/{open_number}/holds", json={"reason": "hold it"})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_closed")
    assert (await client.get(f"/api/v1/cases/{open_number}/retention")).status_code == 404

    number = await closed_case(client, open_case)
    short = await client.post(f"/api/v1/cases/{number}/holds", json={"reason": " "})
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "reason", short.text
    nothing = await client.post(f"/api/v1/cases/{number}/holds/lift", json={"reason": "done"})
    assert (nothing.status_code, nothing.json()["code"]) == (409, "no_standing_hold")


async def test_reopening_cancels_the_projection_and_a_hold_then_is_refused(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await closed_case(client, open_case)
    await project_start(session_factory, number)
    reopened = await client.post(f"/api/v1/cases/{number}/reopen", json={"reason": "new facts"})
    assert reopened.status_code == 200, reopened.text
    async with UnitOfWork(session_factory) as uow:
        await schedule.follow_signal(uow.session, number, REOPEN_CASE_SIGNAL, CLOSED_AT)
        await uow.commit()

    assert (await client.get(f"/api/v1/cases/{number}/retention")).json()["state"] == CANCELLED
    refused = await client.post(f"/api/v1/cases/{number}/holds", json={"reason": "litigation"})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_closed")
