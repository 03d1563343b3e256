"""Notifications fixtures: a migrated database (the root `database_url`), a real SMTP sink."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import start_sink
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.migrate import MIGRATIONS
from ombuds_shared.contracts import SendAcknowledgement
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings

MakeRequest = Callable[..., SendAcknowledgement]


def _acknowledgement(**overrides: str) -> SendAcknowledgement:
    fields = {
        "control_number": new_control_number(),
        "kind": "complaint",
        # Unique per request: the database may be shared by every test in a module.
        "recipient_email": f"Ana.Perez+{uuid.uuid4().hex[:8]}@Example.org",
        "recipient_name": "Ana Pérez",
        "language": "en",
        **overrides,
    }
    return SendAcknowledgement.model_validate(fields)


def unreachable_platform() -> PlatformSettings:
    """Nothing listens here: the relay and the Temporal connection just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture
def make_request() -> MakeRequest:
    """`make_request(language="es")`: a SendAcknowledgement for a fresh control number."""
    return _acknowledgement


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def sink(maildir: Path) -> Iterator[Controller]:
    controller = start_sink("127.0.0.1", 0, maildir)
    yield controller
    controller.stop()


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    return database_url


@pytest.fixture
def settings(migrated_url: str, sink: Controller) -> Settings:
    return Settings(
        database_url=migrated_url,
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        run_worker=False,
        platform=unreachable_platform(),
    )


@pytest.fixture
async def session_factory(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def activities(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> NotificationActivities:
    return NotificationActivities(session_factory, settings)


@pytest.fixture
def activity_env() -> ActivityEnvironment:
    return ActivityEnvironment()
