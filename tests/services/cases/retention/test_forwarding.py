"""`retention.store-cleared.v1` becomes one `store_cleared` signal per service for the case's
Retention (`retention-<n>`), however often the confirmation arrives."""

from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from ombuds_cases.case.records import PendingSignal
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.models import Case
from ombuds_cases.retention.forwarding import StoreClearedHandler
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import STORE_CLEARED_V1, CloudEvent, StoreClearedV1, make_event
from ombuds_shared.retention_contracts import (
    STORE_CLEARED_SIGNAL,
    StoreCleared,
    retention_workflow_id,
)

from ..conftest import OpenCase

SessionFactory = async_sessionmaker[AsyncSession]


def cleared(number: str, service: str, rows: int = 3) -> CloudEvent:
    """A confirmation as the purging service publishes it (a fresh event id each time)."""
    body = StoreClearedV1(control_number=number, service=service, manifest={"submissions": rows})
    return make_event(f"ombuds/{service}", STORE_CLEARED_V1, body, number)


async def staged(sessions: SessionFactory, number: str) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(PendingSignal)
            .where(PendingSignal.control_number == number)
            .order_by(PendingSignal.id)
        )
        return [(row.signal, row.payload) for row in rows]


@dataclass
class RecordingClient:
    """Stands in for the Temporal client: every signal sent, with the workflow it went to."""

    sent: list[tuple[str, str, BaseModel]] = field(default_factory=list)

    def get_workflow_handle(self, workflow_id: str) -> "RecordingHandle":
        return RecordingHandle(self, workflow_id)


@dataclass
class RecordingHandle:
    client: RecordingClient
    workflow_id: str

    async def signal(self, name: str, body: BaseModel) -> None:
        self.client.sent.append((self.workflow_id, name, body))


class TemporalUp:
    def __init__(self, client: RecordingClient) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return cast(Client, self._client)


async def test_a_repeated_confirmation_queues_one_signal_per_service(
    open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    handler = StoreClearedHandler(session_factory, signals=None)
    first = cleared(number, "intake")

    await handler(first)
    await handler(first)  # redelivered: the inbox drops it
    await handler(cleared(number, "intake", rows=0))  # republished with a new event id
    await handler(cleared(number, "referrals", rows=1))

    assert await staged(session_factory, number) == [
        (STORE_CLEARED_SIGNAL, {"service": "intake", "manifest": {"submissions": 3}}),
        (STORE_CLEARED_SIGNAL, {"service": "referrals", "manifest": {"submissions": 1}}),
    ]


async def test_the_signal_goes_to_the_retention_workflow_not_the_case_workflow(
    open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(
            update(Case).where(Case.control_number == number).values(workflow_started=True)
        )
        await uow.commit()
    await StoreClearedHandler(session_factory, signals=None)(cleared(number, "notifications"))
    temporal = RecordingClient()

    assert await SignalSender(session_factory, TemporalUp(temporal)).flush() == 1

    assert temporal.sent == [
        (
            retention_workflow_id(number),
            STORE_CLEARED_SIGNAL,
            StoreCleared(service="notifications", manifest={"submissions": 3}),
        )
    ]
