"""Idempotent consumption: an inbox of processed event ids, written with the effect."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_shared.db import UtcDateTime, utcnow
from ombuds_shared.events import CloudEvent
from ombuds_shared.kafka import ensure_topics, new_consumer
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.telemetry import context_from_kafka_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

EventHandler = Callable[[CloudEvent], Awaitable[None]]


class InboxRecordMixin:
    """Columns of a service's `inbox` table: one row per event it has applied."""

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


async def claim_event(
    session: AsyncSession, model: type[InboxRecordMixin], event: CloudEvent
) -> bool:
    """Record `event` as processed in this transaction; False if it already was."""
    seen = await session.scalar(select(model.event_id).where(model.event_id == event.id))
    if seen is not None:
        return False
    mapped: Any = model  # a mapped subclass: its constructor takes the columns
    session.add(mapped(event_id=event.id, event_type=event.type))
    return True


class EventConsumer:
    """Reads topics, applies each event through `handler`, then commits the offset.

    The handler commits its own transaction (with the inbox row) before the offset is
    committed here, so a crash in between only causes a redelivery that the inbox drops.
    """

    def __init__(
        self,
        settings: PlatformSettings,
        group_id: str,
        topics: tuple[str, ...],
        handlers: dict[str, EventHandler],
    ) -> None:
        self._settings = settings
        self._group_id = group_id
        self._topics = topics
        self._handlers = handlers
        # True while the consumer is in its group; services report it on /healthz.
        self.connected = False

    async def run(self) -> None:
        while True:
            consumer = new_consumer(self._settings, self._group_id, *self._topics)
            try:
                await ensure_topics(self._settings, self._topics)
                await consumer.start()
                self.connected = True
                await self._consume(consumer)
            except asyncio.CancelledError:
                await asyncio.shield(self._stop(consumer))
                raise
            except (KafkaError, OSError) as error:
                self.connected = False
                log.warning("%s: broker unavailable (%s); reconnecting", self._group_id, error)
                await self._stop(consumer)
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # aiokafka's stop() can swallow a cancellation that arrives while it runs;
                    # without this the loop would retry forever and shutdown would hang.
                    raise asyncio.CancelledError from None
                await asyncio.sleep(1.0)

    @staticmethod
    async def _stop(consumer: AIOKafkaConsumer) -> None:
        try:
            await asyncio.wait_for(consumer.stop(), 5)
        except Exception:
            log.debug("stopping consumer failed", exc_info=True)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=100)
            for tp, messages in batches.items():
                for message in messages:
                    await self._apply(message.value, message.headers)
                await self._commit(consumer, tp, messages[-1].offset + 1)

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except KafkaError as error:
            # A lost commit only means a redelivery, which the inbox absorbs.
            log.info("%s: offset commit failed (%s)", self._group_id, error)

    async def _apply(self, value: bytes | None, headers: object) -> None:
        try:
            event = CloudEvent.model_validate_json(value or b"")
        except ValidationError:
            log.error("%s: dropping a message that is not a CloudEvent", self._group_id)
            return
        handler = self._handlers.get(event.type)
        if handler is None:
            return
        context = context_from_kafka_headers(headers)  # type: ignore[arg-type]
        delay = 0.2
        while True:
            with tracer.start_as_current_span(
                f"consume {event.type}",
                context=context,
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "kafka", "ombuds.control_number": event.subject},
            ):
                try:
                    await handler(event)
                    return
                except ValidationError:
                    log.exception(
                        "%s: event %s has an invalid body; dropped", self._group_id, event.id
                    )
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s: handling %s failed; retrying", self._group_id, event.id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
