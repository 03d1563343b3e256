"""`GET /api/v1/messages`: the delivery log for one address; `/healthz` names what is down."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.main import create_app
from ombuds_shared.contracts import SendAcknowledgement

MakeRequest = Callable[..., SendAcknowledgement]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as client,
    ):
        yield client


async def test_lists_the_messages_sent_to_an_address(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_request: MakeRequest,
) -> None:
    request = make_request()
    result = await activity_env.run(activities.send_acknowledgement, request)

    response = await client.get(
        "/api/v1/messages", params={"recipient": request.recipient_email.upper()}
    )

    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (1, 50, 0)
    [item] = page["items"]
    assert item["message_id"] == result.message_id
    assert item["control_number"] == request.control_number
    assert (item["template"], item["language"], item["channel"]) == (
        "acknowledgement",
        "en",
        "email",
    )
    assert item["recipient"] == request.recipient_email.lower()
    assert (item["status"], item["attempts"], item["error"]) == ("sent", 1, None)
    assert request.control_number in item["subject"]
    assert datetime.fromisoformat(item["sent_at"]) >= datetime.fromisoformat(item["created_at"])


async def test_another_address_has_no_messages(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_request: MakeRequest,
) -> None:
    await activity_env.run(activities.send_acknowledgement, make_request())

    someone = f"someone-{uuid.uuid4().hex[:8]}@example.org"
    response = await client.get("/api/v1/messages", params={"recipient": someone})

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_pages_newest_first(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_request: MakeRequest,
) -> None:
    address = f"pages-{uuid.uuid4().hex[:8]}@example.org"
    requests = [make_request(recipient_email=address) for _ in range(3)]
    for request in requests:
        await activity_env.run(activities.send_acknowledgement, request)
    newest_first = [r.control_number for r in reversed(requests)]

    first = (await client.get("/api/v1/messages", params={"recipient": address, "limit": 2})).json()
    second = (
        await client.get("/api/v1/messages", params={"recipient": address, "limit": 2, "offset": 2})
    ).json()

    assert (first["total"], second["total"]) == (3, 3)
    assert [i["control_number"] for i in first["items"] + second["items"]] == newest_first


@pytest.mark.parametrize(
    "params",
    [{}, {"recipient": "a@example.org", "limit": 0}, {"recipient": "a@example.org", "limit": 201}],
    ids=["no-recipient", "limit-0", "limit-201"],
)
async def test_refuses_bad_queries(client: httpx.AsyncClient, params: dict[str, str | int]) -> None:
    response = await client.get("/api/v1/messages", params=params)

    assert response.status_code == 422
    assert response.json()["errors"]


async def test_health_names_what_is_down(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "up", "temporal": "down", "broker": "down"}
