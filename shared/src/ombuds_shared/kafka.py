"""aiokafka producers and consumers configured the same way in every service."""

import contextlib
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ombuds_shared.settings import PlatformSettings

log = logging.getLogger(__name__)


def physical_topic(settings: PlatformSettings, topic: str) -> str:
    """The broker's name for one of the contract's topics (see `kafka_topic_prefix`)."""
    return settings.kafka_topic_prefix + topic


def new_producer(settings: PlatformSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


def new_consumer(settings: PlatformSettings, group_id: str, *topics: str) -> AIOKafkaConsumer:
    # Offsets are committed by hand after the database transaction (never auto-commit);
    # "earliest" so that a broker that lost its log is read again from the start.
    return AIOKafkaConsumer(
        *(physical_topic(settings, topic) for topic in topics),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.kafka_topic_prefix + group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5_000,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
        retry_backoff_ms=200,
    )


async def ensure_topics(
    settings: PlatformSettings, topics: tuple[str, ...], partitions: int = 3
) -> None:
    """Create the topics if missing, so consumers can join before the first event."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = [physical_topic(settings, topic) for topic in topics]
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name in names
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
