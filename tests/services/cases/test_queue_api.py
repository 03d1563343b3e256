"""The case list's filters and paging, and the detail's new fields."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from .conftest import OpenCase


async def numbers(client: httpx.AsyncClient, **params: str | int) -> tuple[list[str], int]:
    response = await client.get("/api/v1/cases", params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    return [item["control_number"] for item in page["items"]], page["total"]


@pytest.fixture
def category() -> str:
    """A category of this test's own, so cases from other tests in the module never match."""
    return f"cat-{uuid.uuid4().hex[:8]}"


async def test_filters_by_each_field(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    tip = await open_case(category=category, kind="tip", channel="phone")
    complaint = await open_case(category=category)
    assigned = await open_case(category=category)
    await client.post(
        f"/api/v1/cases/{assigned}/assignment", json={"office": "trade", "assignee": "lee"}
    )

    assert await numbers(client, category=category) == ([assigned, complaint, tip], 3)
    assert await numbers(client, category=category, kind="tip") == ([tip], 1)
    assert await numbers(client, category=category, channel="phone") == ([tip], 1)
    assert await numbers(client, category=category, status="assigned") == ([assigned], 1)
    assert await numbers(client, category=category, office="trade") == ([assigned], 1)
    assert await numbers(client, category=category, assignee="lee") == ([assigned], 1)
    assert await numbers(client, category=category, status="received", kind="complaint") == (
        [complaint],
        1,
    )


async def test_filters_by_date_received(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    early = await open_case(category=category, received_at=datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    late = await open_case(category=category, received_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC))

    assert await numbers(client, category=category, received_to="2026-03-01") == ([early], 1)
    assert await numbers(client, category=category, received_from="2026-03-02") == ([late], 1)
    both = await numbers(
        client, category=category, received_from="2026-03-01", received_to="2026-03-02"
    )
    assert both == ([late, early], 2)


async def test_pages_keep_the_total(
    client: httpx.AsyncClient, open_case: OpenCase, category: str
) -> None:
    opened = [await open_case(category=category) for _ in range(3)]
    first = await numbers(client, category=category, limit=2, offset=0)
    second = await numbers(client, category=category, limit=2, offset=2)
    assert first == (opened[::-1][:2], 3)
    assert second == (opened[::-1][2:], 3)


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"status": "lost"}, "status", "literal_error"),
        ({"office": "narnia"}, "office", "enum"),
        ({"received_from": "yesterday"}, "received_from", "date_from_datetime_parsing"),
        ({"received_from": "2026-03-02", "received_to": "2026-03-01"}, "received_to", "date_range"),
        ({"limit": 0}, "limit", "greater_than_equal"),
    ],
)
async def test_bad_filters_name_the_field_and_rule(
    client: httpx.AsyncClient, params: dict[str, str], field: str, rule: str
) -> None:
    response = await client.get("/api/v1/cases", params=params)
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]


async def test_the_detail_shows_the_case_model(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    case = (await client.get(f"/api/v1/cases/{number}")).json()
    assert {
        key: case[key]
        for key in (
            "office",
            "assignee",
            "priority",
            "tags",
            "findings",
            "recommendations",
            "disposition",
            "closed_at",
            "notes",
            "links",
            "source_pointers",
            "supplements",
            "amendments",
        )
    } == {
        "office": None,
        "assignee": None,
        "priority": "normal",
        "tags": [],
        "findings": None,
        "recommendations": None,
        "disposition": None,
        "closed_at": None,
        "notes": [],
        "links": [],
        "source_pointers": [],
        "supplements": [],
        "amendments": [],
    }
