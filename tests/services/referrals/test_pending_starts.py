"""A referral made while Temporal was unreachable gets its workflow once Temporal answers;
one recalled before then gets none."""

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from ombuds_referrals.models import Referral
from ombuds_referrals.referral.starter import start_pending
from ombuds_shared.contracts import referral_workflow_id
from ombuds_shared.db import utcnow
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.temporal import TemporalConnection
from support.referrals import STAFF, refer


@pytest.fixture
async def temporal() -> AsyncIterator[TemporalConnection]:
    path = shutil.which("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as env:
        address = env.client.service_client.config.target_host
        connection = TemporalConnection(PlatformSettings(temporal_address=address))
        await connection.run()
        yield connection


async def test_a_deferred_start_happens_when_temporal_answers(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalConnection,
) -> None:
    waiting = await refer(client, "trade")
    recalled = await refer(client, "trade")
    assert waiting["workflow_started"] is False
    await client.post(
        f"/api/v1/referrals/{recalled['id']}/recall", json={"reason": "x"}, headers=STAFF
    )
    # Old enough for the loop (it leaves a just-made referral to its own request).
    async with sessions() as session:
        await session.execute(
            update(Referral)
            .where(Referral.id.in_([waiting["id"], recalled["id"]]))
            .values(created_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()

    assert await start_pending(sessions, temporal) >= 1
    described = await temporal.client.get_workflow_handle(
        referral_workflow_id(waiting["id"])
    ).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
    with pytest.raises(RPCError):
        await temporal.client.get_workflow_handle(referral_workflow_id(recalled["id"])).describe()
    listed = await client.get(
        "/api/v1/referrals", params={"control_number": waiting["control_number"]}, headers=STAFF
    )
    assert listed.json()[0]["workflow_started"] is True
    assert await start_pending(sessions, temporal) == 0
