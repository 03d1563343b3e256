"""The queue's sort, full-text search, overdue and updated-date filters, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.models import Case
from ombuds_cases.queue.due import due_at_for

from ..conftest import OpenCase


async def numbers(client: httpx.AsyncClient, **params: str | int) -> tuple[list[str], int]:
    response = await client.get("/api/v1/cases", params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    return [item["control_number"] for item in page["items"]], page["total"]


@pytest.fixture
def category() -> str:
    """A category of this test's own, so cases from other tests in the module never match."""
    return f"cat-{uuid.uuid4().hex[:8]}"


def narrative(text: str) -> dict[str, dict[str, str]]:
    return {"incident": {"narrative": text, "incident_date": "2026-11-01"}}


async def set_updated_at(
    session_factory: async_sessionmaker[AsyncSession], number: str, when: datetime
) -> None:
    async with session_factory() as session:
        await session.execute(
            update(Case).where(Case.control_number == number).values(updated_at=when)
        )
        await session.commit()


async def test_sorts_by_priority_by_urgency_not_alphabet(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    ranked = {}
    for priority in ("high", "low", "urgent", "normal"):
        number = await open_case(category=category)
        response = await client.post(
            f"/api/v1/cases/{number}/priority", json={"priority": priority}
        )
        assert response.status_code == 200, response.text
        ranked[priority] = number
    urgency = [ranked[p] for p in ("low", "normal", "high", "urgent")]

    assert await numbers(client, category=category, sort="priority", order="asc") == (urgency, 4)
    assert await numbers(client, category=category, sort="priority") == (urgency[::-1], 4)


async def test_sorts_by_status_in_the_order_cases_move(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    redirected = await open_case(category=category)
    received = await open_case(category=category)
    triage = await open_case(category=category)
    for number, to_status in ((redirected, "redirected"), (triage, "triage")):
        response = await client.post(
            f"/api/v1/cases/{number}/status", json={"status": to_status, "reason": "sorting"}
        )
        assert response.status_code == 200, response.text

    in_order = [received, triage, redirected]
    assert await numbers(client, category=category, sort="status", order="asc") == (in_order, 3)


async def test_sorts_by_received_and_updated_either_way(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
    category: str,
) -> None:
    base = datetime(2026, 5, 1, tzinfo=UTC)
    # Opened in one order, received in another, updated in a third.
    second = await open_case(category=category, received_at=base + timedelta(days=2))
    first = await open_case(category=category, received_at=base + timedelta(days=1))
    third = await open_case(category=category, received_at=base + timedelta(days=3))
    await set_updated_at(session_factory, first, base + timedelta(days=30))
    await set_updated_at(session_factory, second, base + timedelta(days=10))
    await set_updated_at(session_factory, third, base + timedelta(days=20))

    by_received = [first, second, third]
    assert await numbers(client, category=category, sort="received_at", order="asc") == (
        by_received,
        3,
    )
    assert await numbers(client, category=category, sort="received_at") == (by_received[::-1], 3)
    assert await numbers(client, category=category, sort="updated_at", order="asc") == (
        [second, third, first],
        3,
    )
    # Without a sort the queue keeps its old order: the newest case first.
    assert await numbers(client, category=category) == ([third, first, second], 3)


async def test_filters_by_date_updated(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
    category: str,
) -> None:
    early = await open_case(category=category)
    late = await open_case(category=category)
    await set_updated_at(session_factory, early, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    await set_updated_at(session_factory, late, datetime(2026, 3, 2, 0, 0, tzinfo=UTC))

    assert await numbers(client, category=category, updated_to="2026-03-01") == ([early], 1)
    assert await numbers(client, category=category, updated_from="2026-03-02") == ([late], 1)
    assert await numbers(
        client, category=category, updated_from="2026-03-01", updated_to="2026-03-02"
    ) == ([late, early], 2)


async def test_overdue_means_open_and_past_its_due_date(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=60)
    overdue = await open_case(category=category, received_at=long_ago)
    finished = await open_case(category=category, received_at=long_ago)
    fresh = await open_case(category=category)
    response = await client.post(
        f"/api/v1/cases/{finished}/status", json={"status": "redirected", "reason": "not ours"}
    )
    assert response.status_code == 200, response.text

    assert await numbers(client, category=category, overdue="true") == ([overdue], 1)
    assert await numbers(client, category=category, overdue="false") == ([fresh, finished], 2)


async def test_due_date_is_set_at_opening_by_kind(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    received = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    tip = await open_case(kind="tip", received_at=received)
    complaint = await open_case(kind="complaint", received_at=received)

    tip_case = (await client.get(f"/api/v1/cases/{tip}")).json()
    complaint_case = (await client.get(f"/api/v1/cases/{complaint}")).json()
    assert datetime.fromisoformat(tip_case["due_at"]) == due_at_for("tip", received)
    assert datetime.fromisoformat(complaint_case["due_at"]) == received + timedelta(days=21)
    assert due_at_for("tip", received) == received + timedelta(days=7)
    assert due_at_for("complaint", received, {"complaint": 10}) == received + timedelta(days=10)


async def test_searches_narratives_and_notes(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    marker = f"zq{uuid.uuid4().hex[:8]}"
    in_narrative = await open_case(
        category=category, **narrative(f"The officer kept my {marker} passport for hours.")
    )
    in_note = await open_case(category=category, **narrative("Nothing special here."))
    elsewhere = await open_case(category=category, **narrative(f"A {marker} without passport."))
    response = await client.post(
        f"/api/v1/cases/{in_note}/notes",
        json={"stage": "review", "text": f"Caller mentioned the {marker} passport again."},
    )
    assert response.status_code == 201, response.text

    assert await numbers(client, q=f"{marker} passport") == ([elsewhere, in_note, in_narrative], 3)
    assert await numbers(client, q=f"{marker} passport", category=category, limit=1) == (
        [elsewhere],
        3,
    )
    assert await numbers(client, q=f"{marker} hours") == ([in_narrative], 1)
    assert await numbers(client, q=f"{marker} caller") == ([in_note], 1)
    assert await numbers(client, q=f"{marker} unheardofword") == ([], 0)


async def test_a_search_counts_up_to_its_limit_and_says_when_capped(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    category: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(repository, "SEARCH_COUNT_LIMIT", 2)
    marker = f"zq{uuid.uuid4().hex[:8]}"
    found = [await open_case(category=category, **narrative(f"Seen {marker}.")) for _ in range(3)]

    response = await client.get("/api/v1/cases", params={"q": marker, "limit": 5})
    page = response.json()
    assert [item["control_number"] for item in page["items"]] == found[::-1]
    assert (page["total"], page["total_capped"]) == (2, True)
    # Filters without a search are never capped; at or under the limit the count is exact.
    response = await client.get("/api/v1/cases", params={"category": category})
    assert (response.json()["total"], response.json()["total_capped"]) == (3, False)
    monkeypatch.setattr(repository, "SEARCH_COUNT_LIMIT", 3)
    response = await client.get("/api/v1/cases", params={"q": marker})
    assert (response.json()["total"], response.json()["total_capped"]) == (3, False)


async def test_search_is_case_insensitive(client: httpx.AsyncClient, open_case: OpenCase) -> None:
    marker = f"zq{uuid.uuid4().hex[:8]}"
    number = await open_case(**narrative(f"Secondary INSPECTION at {marker.upper()} lane."))
    assert await numbers(client, q=f"inspection {marker}") == ([number], 1)


async def test_postgres_search_stems_and_takes_web_search_syntax(
    client: httpx.AsyncClient, open_case: OpenCase, migrated_url: str
) -> None:
    if not migrated_url.startswith("postgresql"):
        pytest.skip("stemming and operators are PostgreSQL full text; SQLite matches substrings")
    marker = f"zq{uuid.uuid4().hex[:8]}"
    waited = await open_case(**narrative(f"We waited at {marker} for hours."))
    refused = await open_case(**narrative(f"They refused entry at {marker}."))

    assert await numbers(client, q=f"{marker} waiting") == ([waited], 1)
    assert await numbers(client, q=f"{marker} -refused") == ([waited], 1)
    assert await numbers(client, q=f"{marker} waited or refused") == ([refused, waited], 2)


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"sort": "narrative"}, "sort", "literal_error"),
        ({"order": "sideways"}, "order", "literal_error"),
        ({"overdue": "maybe"}, "overdue", "bool_parsing"),
        ({"q": ""}, "q", "string_too_short"),
        ({"q": "x" * 201}, "q", "string_too_long"),
        ({"updated_from": "soon"}, "updated_from", "date_from_datetime_parsing"),
        ({"updated_from": "2026-03-02", "updated_to": "2026-03-01"}, "updated_to", "date_range"),
    ],
)
async def test_bad_queue_parameters_name_the_field_and_rule(
    client: httpx.AsyncClient, params: dict[str, str], field: str, rule: str
) -> None:
    response = await client.get("/api/v1/cases", params=params)
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]


async def test_sorts_by_due_date_with_undated_cases_last(
    client: httpx.AsyncClient,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
    category: str,
) -> None:
    received = datetime(2026, 6, 1, tzinfo=UTC)
    complaint = await open_case(category=category, kind="complaint", received_at=received)
    tip = await open_case(category=category, kind="tip", received_at=received)
    undated = await open_case(category=category, kind="tip", received_at=received)
    async with session_factory() as session:
        await session.execute(
            update(Case).where(Case.control_number == undated).values(due_at=None)
        )
        await session.commit()

    assert await numbers(client, category=category, sort="due_at", order="asc") == (
        [tip, complaint, undated],
        3,
    )
    assert await numbers(client, category=category, sort="due_at") == (
        [complaint, tip, undated],
        3,
    )
