"""A referral on real parts: the referrals service on SQLite and PostgreSQL, a Temporal dev
server running the Referral workflow, the Tansu broker carrying the outbound topic to an
agency's consumer, and the agency answering through its API until the workflow completes."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from ombuds_referrals.config import Settings
from ombuds_referrals.main import create_app
from ombuds_referrals.migrate import MIGRATIONS
from ombuds_shared.contracts import REFERRAL_STATE_QUERY, ReferralState, referral_workflow_id
from ombuds_shared.events import REFERRAL_OUTBOUND_V1, REFERRALS_OUTBOUND_TOPIC, CloudEvent
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.tasks import running
from ombuds_shared.temporal import connect_temporal
from ombuds_workflows.worker import build_worker
from support.infra import (
    Infra,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from support.referrals import STAFF, issue_key, refer
from support.system import eventually, isolated_namespace
from support.webhook_receiver import webhook_receiver


class Agency:
    """A downstream agency reading the outbound topic."""

    def __init__(self) -> None:
        self.received: list[CloudEvent] = []

    async def __call__(self, event: CloudEvent) -> None:
        self.received.append(event)


@pytest.fixture(params=["sqlite", "postgresql"])
async def referrals_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('referrals') / 'referrals.db'}"
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    url = await create_postgres_database("ombuds_referrals_it")
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
    finally:
        await drop_postgres_database(url)


async def test_a_referral_reaches_the_agency_which_answers_through_its_api(
    infra: Infra, referrals_url: str
) -> None:
    platform = await isolated_namespace(infra.isolated_platform())
    app = create_app(Settings(database_url=referrals_url, platform=platform))
    agency = Agency()
    consumer = EventConsumer(
        platform,
        group_id="agency-crcl",
        topics=(REFERRALS_OUTBOUND_TOPIC,),
        handlers={REFERRAL_OUTBOUND_V1: agency},
    )
    temporal = await connect_temporal(platform)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(build_worker(temporal))
        await stack.enter_async_context(running(consumer.run()))
        receiver = await stack.enter_async_context(
            webhook_receiver("crcl-shared-secret-0123456789")
        )
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://referrals")
        )

        async def healthy() -> bool:
            return (await client.get("/healthz")).status_code == 200

        await eventually(healthy, timeout=60)
        hooked = await client.patch(
            "/api/v1/admin/directory/crcl",
            json={"webhook_url": receiver.url, "webhook_secret": receiver.secret},
            headers=STAFF,
        )
        assert hooked.json()["channels"] == ["kafka", "webhook"]
        referral = await refer(client, "crcl")
        assert referral["workflow_started"] is True

        async def outbound() -> list[CloudEvent]:
            return [e for e in agency.received if e.data["referral_id"] == referral["id"]]

        [event] = await eventually(outbound, timeout=60)
        # Keyed (and so ordered) by the recipient; the body names the case and why.
        assert event.subject == "crcl"
        assert event.data["action"] == "referral"
        assert event.data["control_number"] == referral["control_number"]
        # The signed webhook arrived too, and its signature verified.
        [posted] = await eventually(lambda: _as_async(receiver.accepted), timeout=30)
        assert posted["referral_id"] == referral["id"]
        assert receiver.refused == 0

        handle = temporal.get_workflow_handle(
            referral_workflow_id(referral["id"]), result_type=ReferralState
        )
        key = await issue_key(client, "crcl")
        base = f"/api/v1/agency/referrals/{referral['id']}"
        assert (await client.post(f"{base}/acknowledge", headers=key)).status_code == 200

        async def state_is(status: str) -> ReferralState | None:
            state = await handle.query(REFERRAL_STATE_QUERY, result_type=ReferralState)
            return state if state.status == status else None

        acknowledged = await eventually(lambda: state_is("acknowledged"), timeout=30)
        assert acknowledged.reminders_sent == 0
        assert acknowledged.response_deadline is not None

        answered = await client.post(f"{base}/response", json={"text": "Opened."}, headers=key)
        assert answered.status_code == 200
        closed = await client.post(
            f"{base}/disposition", json={"disposition": "Resolved."}, headers=key
        )
        assert closed.json()["status"] == "disposition_received"
        result = await handle.result()
        assert result.status == "disposition_received"

        listed = await client.get(
            "/api/v1/referrals",
            params={"control_number": referral["control_number"]},
            headers=STAFF,
        )
        assert listed.json()[0]["delivered_at"] is not None
        assert listed.json()[0]["disposition"] == "Resolved."


async def _as_async(value: list[dict[str, object]]) -> list[dict[str, object]]:
    return value
