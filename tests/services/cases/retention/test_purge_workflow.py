"""The Retention workflow on the time-skipping server with the real `cases.archive_case` against
a real cases database: nothing is purged before five years, then the case is archived, the
other services' confirmations are forwarded through the signal outbox, and the certificate
(a fake activity here; branch `recpage` builds the real one) lists every store cleared."""

import asyncio
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.activities import CaseActivities
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.models import Case
from ombuds_cases.retention.archive_record import CaseArchive
from ombuds_cases.retention.forwarding import StoreClearedHandler
from ombuds_shared.contracts import CASES_TASK_QUEUE
from ombuds_shared.retention_contracts import (
    ISSUE_DELETION_CERTIFICATE_ACTIVITY,
    CertificateResult,
    IssueDeletionCertificate,
    RetentionInput,
    RetentionState,
    retention_workflow_id,
)
from ombuds_workflows.retention import Retention, add_years

from .seeding import ZOFIA, seed_case
from .test_forwarding import cleared

SessionFactory = async_sessionmaker[AsyncSession]
PURGING = ("intake", "referrals", "notifications")


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


@dataclass
class FakeCertificates:
    asked: list[IssueDeletionCertificate] = field(default_factory=list)

    @activity.defn(name=ISSUE_DELETION_CERTIFICATE_ACTIVITY)
    async def certify(self, request: IssueDeletionCertificate) -> CertificateResult:
        self.asked.append(request)
        return CertificateResult(certificate_id="cert-1", already_issued=False)


class TemporalUp:
    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return self._client


async def archive_record(sessions: SessionFactory, number: str) -> CaseArchive | None:
    async with sessions() as session:
        record: CaseArchive | None = await session.scalar(
            select(CaseArchive).where(CaseArchive.control_number == number)
        )
        return record


async def until_archived(sessions: SessionFactory, number: str) -> CaseArchive:
    deadline = time.monotonic() + 30
    while (record := await archive_record(sessions, number)) is None:
        assert time.monotonic() < deadline, "the case was not archived in time"
        await asyncio.sleep(0.05)
    return record


async def test_five_years_on_the_case_is_purged_and_every_store_certified(
    env: WorkflowEnvironment, client: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    async with session_factory() as session:
        closed_at = await session.scalar(
            select(Case.closed_at).where(Case.control_number == number)
        )
    assert closed_at is not None
    certificates = FakeCertificates()
    workflow_queue = f"wf-{uuid.uuid4()}"
    activities = CaseActivities(session_factory)
    async with (
        Worker(env.client, task_queue=workflow_queue, workflows=[Retention]),
        Worker(
            env.client,
            task_queue=CASES_TASK_QUEUE,
            activities=[activities.archive_case, certificates.certify],
        ),
    ):
        handle = await env.client.start_workflow(
            Retention.run,
            RetentionInput(control_number=number, closed_at=closed_at),
            id=retention_workflow_id(number),
            task_queue=workflow_queue,
        )
        await env.sleep(add_years(closed_at, 5) - await env.get_current_time() - timedelta(days=1))
        assert await archive_record(session_factory, number) is None

        await env.sleep(timedelta(days=2))
        record = await until_archived(session_factory, number)
        forward = StoreClearedHandler(session_factory, signals=None)
        for service in (*PURGING, "intake"):
            await forward(cleared(number, service))
        assert await SignalSender(session_factory, TemporalUp(env.client)).flush() == 3
        state: RetentionState = await handle.result()

    assert state.status == "certified"
    [asked] = certificates.asked
    assert asked.manifests == {
        "cases": record.manifest,
        **{service: {"submissions": 3} for service in PURGING},
    }
