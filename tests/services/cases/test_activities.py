"""`cases.record_status`: the workflow's status changes, never twice and never backwards."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ombuds_cases.activities import CaseActivities
from ombuds_shared.contracts import RecordCaseStatus

from .conftest import OpenCase


@pytest.fixture
def activities(session_factory: async_sessionmaker[AsyncSession]) -> CaseActivities:
    return CaseActivities(session_factory)


def step(number: str, to_status: str, step: str) -> RecordCaseStatus:
    return RecordCaseStatus(control_number=number, to_status=to_status, reason="r", step=step)


async def history(client: httpx.AsyncClient, number: str) -> list[str]:
    case = (await client.get(f"/api/v1/cases/{number}")).json()
    return [change["to_status"] for change in case["status_history"]]


async def test_a_step_is_applied_once(
    client: httpx.AsyncClient, open_case: OpenCase, activities: CaseActivities
) -> None:
    number = await open_case()
    env = ActivityEnvironment()
    triage = step(number, "triage", "acknowledged")

    assert await env.run(activities.record_status, triage) is True
    assert await env.run(activities.record_status, triage) is False

    assert await history(client, number) == ["received", "triage"]
    timeline = (await client.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
    assert [(e["kind"], e["actor"]) for e in timeline] == [
        ("opened", "intake"),
        ("status_changed", "workflow"),
    ]


async def test_triage_does_not_pull_back_a_case_staff_already_assigned(
    client: httpx.AsyncClient, open_case: OpenCase, activities: CaseActivities
) -> None:
    number = await open_case()
    await client.post(f"/api/v1/cases/{number}/assignment", json={"office": "privacy"})

    applied = await ActivityEnvironment().run(
        activities.record_status, step(number, "triage", "acknowledged")
    )

    assert applied is False
    assert await history(client, number) == ["received", "assigned"]


async def test_a_change_staff_already_made_is_not_recorded_again(
    client: httpx.AsyncClient, open_case: OpenCase, activities: CaseActivities
) -> None:
    number = await open_case()
    await client.post(
        f"/api/v1/cases/{number}/close", json={"reason": "done", "disposition": "duplicate"}
    )

    applied = await ActivityEnvironment().run(
        activities.record_status, step(number, "closed", "closed")
    )

    assert applied is False
    assert await history(client, number) == ["received", "closed"]


async def test_an_illegal_change_fails_the_activity_for_good(
    open_case: OpenCase, activities: CaseActivities
) -> None:
    number = await open_case()
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(
            activities.record_status, step(number, "resolved", "resolved")
        )
    assert failed.value.non_retryable
    assert failed.value.type == "IllegalTransition"
    assert "received" in failed.value.message
