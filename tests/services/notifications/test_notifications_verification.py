"""One-time code emails: consumed from the real broker, sent once to the real SMTP sink."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import Message as MailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select

from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.config import Settings
from ombuds_notifications.main import create_app
from ombuds_notifications.models import InboxRecord, Message
from ombuds_notifications.rendering import render
from ombuds_notifications.verification import verification_key, verification_template
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import (
    VERIFICATION_CODE_ISSUED_V1,
    VERIFICATIONS_TOPIC,
    CloudEvent,
    VerificationCodeIssuedV1,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra

DEADLINE_SECONDS = 30


@pytest.fixture
async def running(
    migrated_url: str, sink: Controller, infra: Infra
) -> AsyncIterator[tuple[FastAPI, PlatformSettings]]:
    platform = infra.isolated_platform()
    settings = Settings(
        database_url=migrated_url,
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        run_worker=False,
        platform=platform,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, platform


def code_event(purpose: str = "self_service", **changes: Any) -> CloudEvent:
    number = new_control_number()
    fields: dict[str, Any] = {
        "verification_id": uuid.uuid4().hex,
        "purpose": purpose,
        "recipient_email": f"ana+{uuid.uuid4().hex[:8]}@example.org",
        "recipient_name": "Ana Ruiz",
        "language": "es",
        "code": "042917",
        "link": "https://portal.example/manage/verify/abc?token=xyz",
        "control_number": number,
        "expires_at": datetime.now(UTC) + timedelta(minutes=30),
        **changes,
    }
    body = VerificationCodeIssuedV1.model_validate(fields)
    return make_event("ombuds/intake", VERIFICATION_CODE_ISSUED_V1, body, number)


async def publish(platform: PlatformSettings, *events: CloudEvent) -> None:
    await ensure_topics(platform, (VERIFICATIONS_TOPIC,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                physical_topic(platform, VERIFICATIONS_TOPIC),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


def mails_to(maildir: Path, address: str) -> list[MailMessage]:
    return [mail for mail in read_messages(maildir) if address in str(mail["To"])]


async def wait_for_inbox(app: FastAPI, event_id: str) -> None:
    factory = create_session_factory(app.state.engine)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        async with factory() as session:
            if await session.get(InboxRecord, event_id) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"event {event_id} was not applied within {DEADLINE_SECONDS}s")


async def test_an_event_delivered_twice_sends_one_email(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    event = code_event()
    address = event.data["recipient_email"]
    # The same event twice, then the same verification under a new event id (a producer
    # retry), then a marker with the same key: once the marker is applied, so are the others.
    repeated = event.model_copy(update={"id": str(uuid.uuid4())})
    marker = code_event(control_number=event.subject)
    marker = marker.model_copy(update={"subject": event.subject})
    await publish(platform, event, event, repeated, marker)
    await wait_for_inbox(app, marker.id)
    await wait_for_inbox(app, repeated.id)

    [mail] = mails_to(maildir, address)
    assert mail["Subject"] == f"Su código para modificar el envío {event.subject}: 042917"
    assert mail["Content-Language"] == "es"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "042917" in text
    assert "https://portal.example/manage/verify/abc?token=xyz" in text
    factory = create_session_factory(app.state.engine)
    async with factory() as session:
        logged = list(
            await session.scalars(
                select(Message).where(
                    Message.idempotency_key == verification_key(event.data["verification_id"])
                )
            )
        )
    assert [(m.status, m.recipient, m.template) for m in logged] == [
        ("sent", address, "verification_self_service")
    ]


async def test_an_expired_code_is_not_sent(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    event = code_event(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await publish(platform, event)
    await wait_for_inbox(app, event.id)
    assert mails_to(maildir, event.data["recipient_email"]) == []


@pytest.mark.parametrize("purpose", ["self_service", "verify_email", "attach_case"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_purpose_has_its_template(purpose: str, language: str) -> None:
    rendered = render(
        verification_template(purpose),
        language,
        recipient_name=None,
        code="123456",
        link="https://portal.example/x/verify/1?token=t",
        control_number="OMB-3F7KQ-9XW2M-T",
        minutes=30,
    )
    assert "123456" in rendered.subject
    assert "https://portal.example/x/verify/1?token=t" in rendered.body
    assert "30" in rendered.body
    assert rendered.language == language
