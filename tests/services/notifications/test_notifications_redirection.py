"""Redirection messages (`case.redirected` on the cases topic): consumed from the real broker
and sent once to the real SMTP sink, DHS TRIP's redress information or the advice to contact
the outside agency, in English and Spanish; nothing for an anonymous submission."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
from ombuds_notifications.redirection import redirection_key, redirection_template
from ombuds_notifications.rendering import render
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import (
    CASE_REDIRECTED_V1,
    CASES_TOPIC,
    CaseRedirectedV1,
    CloudEvent,
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


def redirected(to: str = "dhs_trip", **changes: Any) -> CloudEvent:
    number = new_control_number()
    fields: dict[str, Any] = {
        "control_number": number,
        "to": to,
        "agency_name": "Transportation Security Administration" if to == "outside_agency" else None,
        "reason": "outside our remit",
        "disposition": "redirected_to_dhs_trip" if to == "dhs_trip" else "no_jurisdiction",
        "anonymous": False,
        "recipient_email": f"ana+{uuid.uuid4().hex[:8]}@example.org",
        "recipient_name": "Ana Ruiz",
        "language": "en",
        "redirected_at": datetime.now(UTC),
        **changes,
    }
    body = CaseRedirectedV1.model_validate(fields)
    return make_event("ombuds/cases", CASE_REDIRECTED_V1, body, number)


async def publish(platform: PlatformSettings, *events: CloudEvent) -> None:
    await ensure_topics(platform, (CASES_TOPIC,))
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                physical_topic(platform, CASES_TOPIC),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


def mails_to(maildir: Path, address: str) -> list[MailMessage]:
    return [mail for mail in read_messages(maildir) if address in str(mail["To"])]


def text_of(mail: MailMessage) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


async def wait_for_inbox(app: FastAPI, event_id: str) -> None:
    factory = create_session_factory(app.state.engine)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        async with factory() as session:
            if await session.get(InboxRecord, event_id) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"event {event_id} was not applied within {DEADLINE_SECONDS}s")


async def test_dhs_trip_information_is_sent_once_in_spanish(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    event = redirected(language="es")
    address = event.data["recipient_email"]
    repeated = event.model_copy(update={"id": str(uuid.uuid4())})  # a producer retry
    await publish(platform, event, event, repeated)
    await wait_for_inbox(app, repeated.id)

    [mail] = mails_to(maildir, address)
    assert mail["Subject"] == (f"Su envío {event.subject}: cómo pedir una reparación a DHS TRIP")
    assert mail["Content-Language"] == "es"
    assert "https://www.dhs.gov/dhs-trip" in text_of(mail)
    factory = create_session_factory(app.state.engine)
    async with factory() as session:
        logged = list(
            await session.scalars(
                select(Message).where(Message.idempotency_key == redirection_key(event.subject))
            )
        )
    assert [(m.status, m.template) for m in logged] == [("sent", "redirected_dhs_trip")]


async def test_an_outside_agency_is_named_in_english(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    event = redirected("outside_agency")
    await publish(platform, event)
    await wait_for_inbox(app, event.id)
    [mail] = mails_to(maildir, event.data["recipient_email"])
    assert mail["Subject"] == (
        f"Your submission {event.subject}: please contact Transportation Security Administration"
    )
    assert "contact Transportation Security Administration directly" in text_of(mail)
    assert "dhs-trip" not in text_of(mail)


async def test_an_anonymous_submission_gets_no_message(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    event = redirected(anonymous=True, recipient_email=None, recipient_name=None)
    await publish(platform, event)
    await wait_for_inbox(app, event.id)
    factory = create_session_factory(app.state.engine)
    async with factory() as session:
        logged = await session.scalar(
            select(Message.id).where(Message.control_number == event.subject)
        )
    assert logged is None
    assert [m for m in read_messages(maildir) if event.subject in str(m["Subject"])] == []


@pytest.mark.parametrize("to", ["dhs_trip", "outside_agency"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_redirection_has_its_template(to: str, language: str) -> None:
    rendered = render(
        redirection_template(to),
        language,
        recipient_name="Ana Ruiz",
        control_number="OMB-3F7KQ-9XW2M-T",
        agency_name="FBI",
    )
    assert "OMB-3F7KQ-9XW2M-T" in rendered.subject
    assert "Ana Ruiz" in rendered.body
    assert rendered.language == language
    assert ("https://www.dhs.gov/dhs-trip" in rendered.body) == (to == "dhs_trip")
    assert ("FBI" in rendered.body) == (to == "outside_agency")
