"""The acknowledgement activity: one email per case however often Temporal retries it."""

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.models import Message, OutboxRecord
from ombuds_shared.contracts import SendAcknowledgement
from ombuds_shared.events import NOTIFICATION_SENT_V1, NOTIFICATIONS_TOPIC
from ombuds_shared.telemetry import setup_tracing

MakeRequest = Callable[..., SendAcknowledgement]
SessionFactory = async_sessionmaker[AsyncSession]


async def log_for(session_factory: SessionFactory, control_number: str) -> list[Message]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Message).where(Message.control_number == control_number)
        )
        return list(rows.all())


async def outbox(session_factory: SessionFactory, control_number: str) -> list[OutboxRecord]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(OutboxRecord.message_key == control_number)
            .order_by(OutboxRecord.id)
        )
        return list(rows.all())


def mails_for(maildir: Path, control_number: str) -> list[Any]:
    return [m for m in read_messages(maildir) if m["X-Ombuds-Control-Number"] == control_number]


async def test_sends_one_email_and_records_it(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    request = make_request()

    result = await activity_env.run(activities.send_acknowledgement, request)

    assert result.already_sent is False
    [mail] = read_messages(maildir)
    assert mail["Message-ID"] == f"<{result.message_id}@ombuds.localhost>"
    assert mail["X-Ombuds-Control-Number"] == request.control_number
    recipient = request.recipient_email.lower()
    assert mail["To"].addresses[0].addr_spec == recipient
    assert mail["To"].addresses[0].display_name == "Ana Pérez"
    assert mail["X-Original-To"] == recipient
    assert request.control_number in mail["Subject"]
    assert request.control_number in mail.get_content()

    [message] = await log_for(session_factory, request.control_number)
    assert message.message_id == result.message_id
    assert message.idempotency_key == f"{request.control_number}:acknowledgement"
    assert (message.status, message.attempts, message.error) == ("sent", 1, None)
    assert (message.template, message.language, message.channel) == (
        "acknowledgement",
        "en",
        "email",
    )
    assert message.recipient == recipient
    assert message.subject == mail["Subject"]
    assert message.sent_at == result.sent_at

    [record] = await outbox(session_factory, request.control_number)
    assert (record.topic, record.event_type, record.message_key) == (
        NOTIFICATIONS_TOPIC,
        NOTIFICATION_SENT_V1,
        request.control_number,
    )
    event = json.loads(record.payload)
    assert event["source"] == "ombuds/notifications"
    assert event["subject"] == request.control_number
    assert event["data"]["message_id"] == result.message_id
    assert event["data"]["template"] == "acknowledgement"


async def test_a_retry_after_success_sends_nothing(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    request = make_request()

    first = await activity_env.run(activities.send_acknowledgement, request)
    second = await activity_env.run(activities.send_acknowledgement, request)

    assert (first.already_sent, second.already_sent) == (False, True)
    assert second.message_id == first.message_id
    assert second.sent_at == first.sent_at
    assert len(mails_for(maildir, request.control_number)) == 1
    [message] = await log_for(session_factory, request.control_number)
    assert message.attempts == 1
    assert len(await outbox(session_factory, request.control_number)) == 1


async def test_concurrent_attempts_share_one_message(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_request: MakeRequest,
) -> None:
    request = make_request()

    results = await asyncio.gather(
        *(activity_env.run(activities.send_acknowledgement, request) for _ in range(3))
    )

    assert len({r.message_id for r in results}) == 1
    assert len(await log_for(session_factory, request.control_number)) == 1
    # Attempts that both claimed before either sent may both send (at least once); the
    # shared Message-ID lets the receiving side drop the copy, and only one event is staged.
    assert len(await outbox(session_factory, request.control_number)) == 1


async def test_a_failed_send_is_recorded_and_the_retry_resumes_it(
    activity_env: ActivityEnvironment,
    session_factory: SessionFactory,
    settings: Settings,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    request = make_request()
    no_server = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await activity_env.run(
            NotificationActivities(session_factory, no_server).send_acknowledgement, request
        )

    [message] = await log_for(session_factory, request.control_number)
    assert (message.status, message.attempts) == ("sending", 1)
    assert message.error
    assert await outbox(session_factory, request.control_number) == []

    result = await activity_env.run(
        NotificationActivities(session_factory, settings).send_acknowledgement, request
    )

    assert result.message_id == message.message_id
    [message] = await log_for(session_factory, request.control_number)
    assert (message.status, message.attempts, message.error) == ("sent", 2, None)
    assert len(mails_for(maildir, request.control_number)) == 1


class RefusingHandler:
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 No such user here"


@pytest.fixture
def refusing_server() -> Iterator[Controller]:
    controller = Controller(
        RefusingHandler(), hostname="127.0.0.1", port=free_port(), server_hostname="refuser"
    )
    controller.start()
    yield controller
    controller.stop()


async def test_a_refused_recipient_fails_for_good(
    activity_env: ActivityEnvironment,
    session_factory: SessionFactory,
    settings: Settings,
    refusing_server: Controller,
    make_request: MakeRequest,
) -> None:
    request = make_request()
    refusing = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{refusing_server.port}"})

    with pytest.raises(ApplicationError) as raised:
        await activity_env.run(
            NotificationActivities(session_factory, refusing).send_acknowledgement, request
        )

    assert raised.value.type == "RecipientRefused"
    assert raised.value.non_retryable is True
    [message] = await log_for(session_factory, request.control_number)
    assert message.status == "failed"
    assert message.error is not None
    assert "550" in message.error
    # No `notification.sent`; one `notification.failed` for the case to show.
    [failed] = await outbox(session_factory, request.control_number)
    assert failed.event_type == "ombuds.notification.failed.v1"
    data = json.loads(failed.payload)["data"]
    assert (data["status"], data["message_id"], data["template"]) == (
        "failed",
        message.message_id,
        "acknowledgement",
    )
    assert "550" in data["reason"]


async def test_the_fault_pause_heartbeats_after_claiming_and_before_sending(
    activity_env: ActivityEnvironment,
    session_factory: SessionFactory,
    settings: Settings,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    request = make_request()
    paused = settings.model_copy(update={"fault_pause_before_send_seconds": 0.6})
    heartbeats: list[tuple[Any, ...]] = []
    activity_env.on_heartbeat = lambda *details: heartbeats.append(details)

    attempt = asyncio.create_task(
        activity_env.run(
            NotificationActivities(session_factory, paused).send_acknowledgement, request
        )
    )
    await asyncio.sleep(0.3)
    [message] = await log_for(session_factory, request.control_number)
    assert (message.status, message.attempts) == ("sending", 1)
    assert mails_for(maildir, request.control_number) == []

    await attempt
    assert len(heartbeats) >= 2
    assert len(mails_for(maildir, request.control_number)) == 1


async def test_spanish_is_sent_in_spanish_and_unknown_languages_in_english(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
    make_request: MakeRequest,
) -> None:
    spanish, other = make_request(language="es-MX"), make_request(language="fr")

    await activity_env.run(activities.send_acknowledgement, spanish)
    await activity_env.run(activities.send_acknowledgement, other)

    [mail] = mails_for(maildir, spanish.control_number)
    assert mail["Subject"].startswith("Recibimos su queja")
    assert mail["Content-Language"] == "es"
    assert "número de control" in mail.get_content()
    [message] = await log_for(session_factory, other.control_number)
    assert message.language == "en"


async def test_the_send_is_traced(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    settings: Settings,
    make_request: MakeRequest,
) -> None:
    exporter = InMemorySpanExporter()
    setup_tracing("ombuds-notifications-test", settings.platform, exporter=exporter)
    request = make_request()

    await activity_env.run(activities.send_acknowledgement, request)

    spans = [s for s in exporter.get_finished_spans() if s.name == "smtp.send"]
    exporter.shutdown()
    [span] = [
        s
        for s in spans
        if s.attributes and s.attributes.get("ombuds.control_number") == request.control_number
    ]
    assert span.attributes is not None
    assert span.attributes["server.address"] == "127.0.0.1"


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "ana@example.org\r\nBcc: victim@example.org"],
    ids=["bare", "crlf"],
)
async def test_an_invalid_address_fails_for_good_without_sending(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
    make_request: MakeRequest,
    address: str,
) -> None:
    request = make_request(recipient_email=address)

    with pytest.raises(ApplicationError) as raised:
        await activity_env.run(activities.send_acknowledgement, request)

    assert (raised.value.type, raised.value.non_retryable) == ("RecipientRefused", True)
    [message] = await log_for(session_factory, request.control_number)
    assert (message.status, message.error) == ("failed", "not an email address")
    assert read_messages(maildir) == []
