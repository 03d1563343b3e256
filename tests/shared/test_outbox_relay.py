"""The outbox relay on the real broker: publishes once, and once more after the broker forgets."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.events import CloudEvent
from ombuds_shared.outbox import OutboxRecordMixin, OutboxRelay, add_to_outbox
from support.infra import Infra
from support.system import eventually


class Base(DeclarativeBase):
    pass


class OutboxRecord(OutboxRecordMixin, Base):
    __tablename__ = "outbox"


@pytest.fixture
async def session_factory(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


async def read_topic(infra: Infra, topic: str) -> list[str]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.platform.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        return [CloudEvent.model_validate_json(m.value).id for ms in batches.values() for m in ms]
    finally:
        await consumer.stop()


async def test_relay_republishes_exactly_once_after_the_broker_loses_its_log(
    infra: Infra, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(session_factory, OutboxRecord, infra.platform, (topic,))
    task = asyncio.create_task(relay.run())
    try:
        events = [
            CloudEvent(source="test", type="test.v1", subject=f"case-{i}", data={"i": i})
            for i in range(6)
        ]
        async with UnitOfWork(session_factory) as uow:
            for event in events:
                add_to_outbox(uow.session, OutboxRecord, topic, event)
            await uow.commit()
        relay.notify()
        await eventually(lambda: _ready(relay.published_count == 6))
        assert sorted(await read_topic(infra, topic)) == sorted(e.id for e in events)

        infra.stop_broker()
        infra.start_broker()
        await eventually(lambda: _ready(relay.published_count == 12), timeout=60)
        # Enough log checks (one a second) to show the relay does not loop republishing.
        await asyncio.sleep(3)
        assert relay.published_count == 12
        assert sorted(await read_topic(infra, topic)) == sorted(e.id for e in events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _ready(value: bool) -> bool:
    return value
