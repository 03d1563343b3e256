"""Transactional outbox: rows written with the change, published to Kafka by a relay.

The embedded broker keeps its log in memory. When it restarts, everything it had is gone, so
the relay notices the log going backwards (a fresh offset at or below one it already
published, or an empty partition it had published to) and queues that partition's rows
again; consumers drop the duplicates through their inbox.
"""

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from opentelemetry import trace
from sqlalchemy import JSON, Index, Integer, String, Text, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow
from ombuds_shared.events import CloudEvent
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.tasks import raise_if_cancelling
from ombuds_shared.telemetry import current_trace_headers, kafka_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class OutboxRecordMixin:
    """Columns of a service's `outbox` table; the service maps it on its own Base."""

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    message_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    trace_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    kafka_partition: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kafka_offset: Mapped[int | None] = mapped_column(BigIntPk, nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(f"ix_{cls.__tablename__}_unpublished", "published_at", "id"),)  # type: ignore[attr-defined]


def _outbox_row(topic: str, event: CloudEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "topic": topic,
        "message_key": event.subject,
        "event_type": event.type,
        "payload": event.model_dump_json(),
        "trace_headers": current_trace_headers(),
        "created_at": utcnow(),
    }


def add_to_outbox(
    session: AsyncSession, model: type[OutboxRecordMixin], topic: str, event: CloudEvent
) -> None:
    """Stage `event` in the caller's transaction; the relay publishes it after commit."""
    mapped: Any = model  # a mapped subclass: its constructor takes the columns
    session.add(mapped(**_outbox_row(topic, event)))


async def insert_into_outbox(
    session: AsyncSession, model: type[OutboxRecordMixin], topic: str, event: CloudEvent
) -> None:
    """`add_to_outbox` as one Core INSERT now, for hot paths that skip the ORM's flush."""
    mapped: Any = model
    await session.execute(insert(mapped.__table__), _outbox_row(topic, event))


class OutboxRelay:
    """Publishes unpublished outbox rows in order; one relay per service database."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        model: type[OutboxRecordMixin],
        settings: PlatformSettings,
        topics: tuple[str, ...],
        batch_size: int = 200,
        idle_seconds: float = 0.1,
        log_check_seconds: float = 1.0,
    ) -> None:
        self._session_factory = session_factory
        self._model = model
        self._settings = settings
        self._topics = topics
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._log_check_seconds = log_check_seconds
        self._published_high: dict[TopicPartition, int] = {}
        self._wake = asyncio.Event()
        self.published_count = 0
        # True while a producer is connected; services report it on /healthz.
        self.connected = False

    def notify(self) -> None:
        """Wake the relay now instead of at its next poll (called after a commit)."""
        self._wake.set()

    async def run(self) -> None:
        producer: AIOKafkaProducer | None = None
        watcher: AIOKafkaConsumer | None = None
        loop = asyncio.get_running_loop()
        next_log_check = 0.0
        high_marks_loaded = False
        try:
            while True:
                try:
                    if not high_marks_loaded:
                        await self._load_high_marks()
                        high_marks_loaded = True
                    if producer is None or watcher is None:
                        producer, watcher = await self._connect()
                    if loop.time() >= next_log_check:
                        await self._check_for_lost_log(watcher)
                        next_log_check = loop.time() + self._log_check_seconds
                    if await self._publish_batch(producer) == 0:
                        self._wake.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), self._idle_seconds)
                except DBAPIError as error:
                    log.warning("outbox relay: database unavailable (%s); retrying", error)
                    await asyncio.sleep(1.0)
                except (KafkaError, OSError) as error:
                    log.warning("outbox relay: broker unavailable (%s); retrying", error)
                    await self._close(producer, watcher)
                    producer = watcher = None
                    raise_if_cancelling()
                    await asyncio.sleep(1.0)
        finally:
            await self._close(producer, watcher)

    async def _connect(self) -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:
        await ensure_topics(self._settings, self._topics)
        producer = new_producer(self._settings)
        # A group-less consumer, only to ask the broker for each partition's end offset.
        watcher = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            metadata_max_age_ms=2_000,
            request_timeout_ms=10_000,
        )
        try:
            await producer.start()
            await watcher.start()
        except BaseException:
            await self._close(producer, watcher)
            raise
        self.connected = True
        return producer, watcher

    async def _close(
        self, producer: AIOKafkaProducer | None, watcher: AIOKafkaConsumer | None
    ) -> None:
        self.connected = False
        for client in (producer, watcher):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), 5)
                except Exception:
                    log.debug("closing a Kafka client failed", exc_info=True)

    async def _load_high_marks(self) -> None:
        model = self._model
        async with self._session_factory() as session:
            rows = await session.execute(
                select(model.topic, model.kafka_partition, func.max(model.kafka_offset))
                .where(model.kafka_offset.is_not(None))
                .group_by(model.topic, model.kafka_partition)
            )
            for topic, partition, offset in rows:
                if partition is not None and offset is not None:
                    self._published_high[TopicPartition(topic, partition)] = offset

    async def _publish_batch(self, producer: AIOKafkaProducer) -> int:
        model = self._model
        async with self._session_factory() as session:
            query = (
                select(model)
                .where(model.published_at.is_(None))
                .order_by(model.id)
                .limit(self._batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            if not rows:
                return 0
            futures = []
            for row in rows:
                futures.append(
                    await producer.send(
                        physical_topic(self._settings, row.topic),
                        value=row.payload.encode(),
                        key=row.message_key.encode(),
                        headers=kafka_headers(row.trace_headers or {}),
                    )
                )
            results = await asyncio.gather(*futures, return_exceptions=True)
            now = utcnow()
            lost: set[TopicPartition] = set()
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    continue
                tp = TopicPartition(row.topic, result.partition)
                if tp not in lost and result.offset <= self._published_high.get(tp, -1):
                    # Offsets only grow on a live log: a repeat means the broker started afresh.
                    lost.add(tp)
                    self._published_high[tp] = -1
                row.published_at = now
                row.kafka_partition = result.partition
                row.kafka_offset = result.offset
                self._published_high[tp] = max(self._published_high.get(tp, -1), result.offset)
            batch_ids = [row.id for row in rows]
            for tp in lost:
                await self._requeue(session, tp, exclude_ids=batch_ids)
            await session.commit()
            failures = [r for r in results if isinstance(r, BaseException)]
            self.published_count += len(rows) - len(failures)
            if failures:
                raise KafkaError(f"{len(failures)} of {len(rows)} outbox events not acknowledged")
            return len(rows)

    async def _check_for_lost_log(self, watcher: AIOKafkaConsumer) -> None:
        if not self._published_high:
            return
        partitions = list(self._published_high)
        on_broker = {
            tp: TopicPartition(physical_topic(self._settings, tp.topic), tp.partition)
            for tp in partitions
        }
        present = await watcher.topics()
        if any(name.topic not in present for name in on_broker.values()):
            await ensure_topics(self._settings, self._topics)
            ends = dict.fromkeys(partitions, 0)
        else:
            offsets = await watcher.end_offsets(list(on_broker.values()))
            ends = {tp: offsets.get(on_broker[tp], 0) for tp in partitions}
        # A partition we published to that now reports an empty log has lost it. (Comparing
        # the end offset with our highest offset is not reliable: Tansu reports the last
        # batch's base offset + 1 as the end, below the true end for multi-record batches.)
        lost = [tp for tp in partitions if ends.get(tp, 0) == 0]
        if not lost:
            return
        async with self._session_factory() as session:
            for tp in lost:
                await self._requeue(session, tp, exclude_ids=[])
                self._published_high.pop(tp, None)
            await session.commit()

    async def _requeue(
        self, session: AsyncSession, tp: TopicPartition, exclude_ids: list[int]
    ) -> None:
        model = self._model
        log.warning("outbox relay: broker lost %s; publishing its events again", tp)
        with tracer.start_as_current_span("outbox.requeue", attributes={"topic": tp.topic}):
            statement = (
                update(model)
                .where(model.topic == tp.topic, model.kafka_partition == tp.partition)
                .values(published_at=None, kafka_partition=None, kafka_offset=None)
            )
            if exclude_ids:
                statement = statement.where(model.id.not_in(exclude_ids))
            await session.execute(statement)
