"""Lifecycle messages through the real broker and SMTP sink: right message, language, channel."""

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import Message as MailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select

from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.config import Settings
from ombuds_notifications.main import create_app
from ombuds_notifications.models import InboxRecord, Message, OutboxRecord
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import (
    CASE_CLOSED_V1,
    CASE_INFORMATION_REQUESTED_V1,
    CASE_REOPENED_V1,
    CASE_STATUS_CHANGED_V1,
    CASE_WITHDRAWN_V1,
    CASES_TOPIC,
    NOTIFICATION_FAILED_V1,
    REFERRAL_CREATED_V1,
    REFERRALS_TOPIC,
    SUBMISSION_RECEIVED_V2,
    SUBMISSIONS_TOPIC,
    CaseClosedV1,
    CaseInformationRequestedV1,
    CaseReopenedV1,
    CaseStatusChangedV1,
    CaseWithdrawnV1,
    CloudEvent,
    EventBody,
    ReferralCreatedV1,
    SubmissionReceivedV2,
    make_event,
)
from ombuds_shared.kafka import ensure_topics, new_producer, physical_topic
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra

DEADLINE_SECONDS = 30
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOPICS = (SUBMISSIONS_TOPIC, CASES_TOPIC, REFERRALS_TOPIC)


class RefusingHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
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


async def _start(settings: Settings) -> AsyncIterator[tuple[FastAPI, PlatformSettings]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, settings.platform


@pytest.fixture
async def running(
    migrated_url: str, sink: Controller, infra: Infra
) -> AsyncIterator[tuple[FastAPI, PlatformSettings]]:
    settings = Settings(
        database_url=migrated_url,
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        portal_url="https://portal.example/",
        run_worker=False,
        platform=infra.isolated_platform(),
    )
    async for started in _start(settings):
        yield started


def received(channel: str = "web", language: str = "en", anonymous: bool = False) -> CloudEvent:
    number = new_control_number()
    contact: dict[str, Any] | None = {
        "first_name": "Ana",
        "last_name": "Pérez",
        "email": f"ana+{uuid.uuid4().hex[:8]}@example.org",
        "street_address": "Calle Año 5",
        "city": "San José",
        "state_province": "CA",
        "postal_code": "95112",
        "country": "USA",
        "phone": "619 555 0142",
    }
    body = SubmissionReceivedV2(
        control_number=number,
        form_version="2026-11-22",
        kind="complaint",
        category="general",
        topic=None,
        channel=channel,
        anonymous=anonymous,
        language=language,
        contact=None if anonymous else contact,
        incident={"narrative": "Rude officer."},
        received_at=NOW,
    )
    return make_event("ombuds/intake", SUBMISSION_RECEIVED_V2, body, number)


def case_event(event_type: str, body: EventBody, number: str) -> CloudEvent:
    source = "ombuds/referrals" if event_type == REFERRAL_CREATED_V1 else "ombuds/cases"
    return make_event(source, event_type, body, number)


def closed(number: str, at: datetime = NOW) -> CloudEvent:
    body = CaseClosedV1(
        control_number=number, disposition="substantiated", reason="We apologised.", closed_at=at
    )
    return case_event(CASE_CLOSED_V1, body, number)


def status_changed(number: str, to_status: str, reason: str) -> CloudEvent:
    body = CaseStatusChangedV1(
        control_number=number,
        from_status="triage",
        to_status=to_status,
        reason=reason,
        changed_at=NOW,
    )
    return case_event(CASE_STATUS_CHANGED_V1, body, number)


async def publish(platform: PlatformSettings, *events: CloudEvent) -> None:
    await ensure_topics(platform, TOPICS)
    producer = new_producer(platform)
    await producer.start()
    try:
        for event in events:
            topic = (
                SUBMISSIONS_TOPIC
                if event.type.startswith("ombuds.submission.")
                else REFERRALS_TOPIC
                if event.type.startswith("ombuds.referral.")
                else CASES_TOPIC
            )
            await producer.send_and_wait(
                physical_topic(platform, topic),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


async def wait_for_inbox(app: FastAPI, *events: CloudEvent) -> None:
    factory = create_session_factory(app.state.engine)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        async with factory() as session:
            seen = [await session.get(InboxRecord, event.id) for event in events]
        if all(row is not None for row in seen):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"events were not applied within {DEADLINE_SECONDS}s")


async def log_for(app: FastAPI, number: str) -> list[Message]:
    factory = create_session_factory(app.state.engine)
    async with factory() as session:
        rows = await session.scalars(
            select(Message).where(Message.control_number == number).order_by(Message.id)
        )
        return list(rows.all())


async def failed_events(app: FastAPI, number: str) -> list[dict[str, Any]]:
    factory = create_session_factory(app.state.engine)
    async with factory() as session:
        rows = await session.scalars(
            select(OutboxRecord).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == NOTIFICATION_FAILED_V1,
            )
        )
        return [json.loads(row.payload)["data"] for row in rows.all()]


def mails_for(maildir: Path, number: str) -> list[MailMessage]:
    return [m for m in read_messages(maildir) if m["X-Ombuds-Control-Number"] == number]


def text_of(mail: MailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


def html_of(mail: MailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    return str(part.get_content())


async def test_every_step_sends_its_email_once_in_the_submitters_language(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    submission = received(language="es")
    number = submission.subject
    referral = ReferralCreatedV1(
        referral_id="ref-1",
        control_number=number,
        recipient_id="crcl",
        occurred_at=NOW,
        recipient_name="la Oficina de Derechos Civiles (CRCL)",
        recipient_kind="dhs_component",
        purpose="investigation",
        nature="complaint",
    )
    internal = referral.model_copy(
        update={"referral_id": "ref-2", "recipient_kind": "office", "recipient_name": "Trade"}
    )
    steps = [
        status_changed(number, "assigned", "routed"),
        status_changed(number, "triage", "internal move"),
        # The move itself sends nothing: the request's own event carries the question.
        status_changed(number, "awaiting_information", "information requested"),
        case_event(
            CASE_INFORMATION_REQUESTED_V1,
            CaseInformationRequestedV1(
                control_number=number,
                request_id="req-1",
                question="¿En qué puerto ocurrió?",
                due_at=datetime(2026, 12, 18, 12, tzinfo=UTC),
                reply_path=f"/manage/{number}/reply/req-1",
                requested_at=NOW,
            ),
            number,
        ),
        case_event(REFERRAL_CREATED_V1, referral, number),
        case_event(REFERRAL_CREATED_V1, internal, number),
        closed(number),
        case_event(
            CASE_REOPENED_V1,
            CaseReopenedV1(control_number=number, reason="Nueva prueba.", reopened_at=NOW),
            number,
        ),
        case_event(
            CASE_WITHDRAWN_V1,
            CaseWithdrawnV1(
                control_number=number, withdrawn_by="submitter", reason=None, withdrawn_at=NOW
            ),
            number,
        ),
    ]
    await publish(platform, submission, *steps)
    await wait_for_inbox(app, submission, *steps)

    mails = mails_for(maildir, number)
    subjects = sorted(str(mail["Subject"]) for mail in mails)
    assert subjects == sorted(
        [
            f"Novedades sobre su caso {number}",
            f"Necesitamos más información sobre {number}",
            f"Su caso {number} fue remitido a la Oficina de Derechos Civiles (CRCL)",
            f"Su caso {number} está cerrado",
            f"Su caso {number} fue reabierto",
            f"Su caso {number} fue retirado",
        ]
    )
    by_subject = {str(mail["Subject"]): mail for mail in mails}
    rfi = by_subject[f"Necesitamos más información sobre {number}"]
    assert "¿En qué puerto ocurrió?" in text_of(rfi)
    assert f"https://portal.example/manage/{number}/reply/req-1" in text_of(rfi)
    assert "2026-12-18" in text_of(rfi)
    closure = by_subject[f"Su caso {number} está cerrado"]
    assert "Resultado: fundada" in text_of(closure)
    assert "We apologised." in html_of(closure)
    assert all(mail["Content-Language"] == "es" for mail in mails)
    logged = await log_for(app, number)
    assert {(m.channel, m.status) for m in logged} == {("email", "sent")}
    assert len(logged) == 6


async def test_an_event_delivered_twice_sends_one_message(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    submission = received()
    closure = closed(submission.subject)
    # The same event twice, and the same closure again under a new event id (a producer retry).
    again = closure.model_copy(update={"id": str(uuid.uuid4())})
    await publish(platform, submission, closure, closure, again)
    await wait_for_inbox(app, submission, closure, again)

    [mail] = mails_for(maildir, submission.subject)
    assert mail["Subject"] == f"Your submission {submission.subject} is closed"
    assert [m.template for m in await log_for(app, submission.subject)] == ["closure"]


async def test_an_anonymous_submission_gets_nothing(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    submission = received(anonymous=True)
    steps = [
        case_event(
            CASE_INFORMATION_REQUESTED_V1,
            CaseInformationRequestedV1(
                control_number=submission.subject,
                request_id="req-1",
                question="More?",
                due_at=NOW,
                reply_path="/manage/x/reply/req-1",
                requested_at=NOW,
            ),
            submission.subject,
        ),
        closed(submission.subject),
    ]
    await publish(platform, submission, *steps)
    await wait_for_inbox(app, submission, *steps)

    assert mails_for(maildir, submission.subject) == []
    assert await log_for(app, submission.subject) == []


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


async def test_a_mail_submission_gets_a_pdf_letter_not_an_email(
    running: tuple[FastAPI, PlatformSettings], maildir: Path, tmp_path: Path
) -> None:
    app, platform = running
    submission = received(channel="letter", language="es")
    number = submission.subject
    closure = closed(number)
    await publish(platform, submission, closure)
    await wait_for_inbox(app, submission, closure)

    assert mails_for(maildir, number) == []
    [letter] = await log_for(app, number)
    assert (letter.channel, letter.status, letter.template) == (
        "letter",
        "ready_to_print",
        "closure",
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(f"/api/v1/messages/{letter.message_id}/letter.pdf")
        listed = await client.get("/api/v1/messages", params={"control_number": number})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="closure-{number}.pdf"'
    assert [item["message_id"] for item in listed.json()["items"]] == [letter.message_id]
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "Ana Pérez",
        "Calle Año 5",
        "San José, CA 95112",
        f"Número de control: {number}",
        "Resultado: fundada",
        "We apologised.",
    ):
        assert expected in text, expected
    day = letter.created_at.date()
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"]
    months += ["septiembre", "octubre", "noviembre", "diciembre"]
    assert f"{day.day} de {months[day.month - 1]} de {day.year}" in text


async def test_a_phone_call_without_an_address_leaves_a_note_to_call(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    submission = received(channel="phone")
    submission.data["contact"] = {
        key: value
        for key, value in submission.data["contact"].items()
        if key not in ("street_address", "city")
    }
    closure = closed(submission.subject)
    await publish(platform, submission, closure)
    await wait_for_inbox(app, submission, closure)

    assert mails_for(maildir, submission.subject) == []
    [note] = await log_for(app, submission.subject)
    assert (note.channel, note.status) == ("phone", "call_required")
    assert note.body is not None
    assert "We apologised." in note.body


async def test_a_refused_email_is_recorded_and_announced(
    migrated_url: str, refusing_server: Controller, infra: Infra, maildir: Path
) -> None:
    settings = Settings(
        database_url=migrated_url,
        smtp_url=f"smtp://127.0.0.1:{refusing_server.port}",
        run_worker=False,
        platform=infra.isolated_platform(),
    )
    async for app, platform in _start(settings):
        submission = received()
        closure = closed(submission.subject)
        await publish(platform, submission, closure)
        await wait_for_inbox(app, submission, closure)

        [message] = await log_for(app, submission.subject)
        assert message.status == "failed"
        assert message.error is not None
        assert "550" in message.error
        [event] = await failed_events(app, submission.subject)
        assert (event["status"], event["message_id"], event["template"]) == (
            "failed",
            message.message_id,
            "closure",
        )
        assert event["attempts"] == 1


async def test_a_bounce_is_recorded_once_and_announced(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    submission = received()
    closure = closed(submission.subject)
    await publish(platform, submission, closure)
    await wait_for_inbox(app, submission, closure)
    [message] = await log_for(app, submission.subject)
    assert message.status == "sent"

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        path = f"/api/v1/messages/{message.message_id}/bounce"
        first = await client.post(path, json={"reason": "550 mailbox full"})
        second = await client.post(path, json={"reason": "550 mailbox full"})
        empty = await client.post(path, json={"reason": ""})
        unknown = await client.post("/api/v1/messages/nope/bounce", json={"reason": "x"})

    assert first.status_code == second.status_code == 200
    assert (first.json()["status"], first.json()["error"]) == ("bounced", "550 mailbox full")
    assert empty.status_code == 422
    assert unknown.status_code == 404
    [event] = await failed_events(app, submission.subject)
    assert (event["status"], event["reason"]) == ("bounced", "550 mailbox full")


async def test_an_smtp_outage_past_the_retry_window_is_recorded_and_announced(
    migrated_url: str, infra: Infra
) -> None:
    settings = Settings(
        database_url=migrated_url,
        # Nothing listens here; with no retry window the first failure is the last.
        smtp_url=f"smtp://127.0.0.1:{free_port()}",
        send_retry_seconds=0,
        run_worker=False,
        platform=infra.isolated_platform(),
    )
    async for app, platform in _start(settings):
        submission = received()
        withdrawal = case_event(
            CASE_WITHDRAWN_V1,
            CaseWithdrawnV1(
                control_number=submission.subject,
                withdrawn_by="submitter",
                reason=None,
                withdrawn_at=NOW,
            ),
            submission.subject,
        )
        await publish(platform, submission, withdrawal)
        await wait_for_inbox(app, submission, withdrawal)

        [message] = await log_for(app, submission.subject)
        assert (message.status, message.template, message.attempts) == (
            "failed",
            "withdrawal",
            1,
        )
        [event] = await failed_events(app, submission.subject)
        assert event["status"] == "failed"
        assert event["reason"] == message.error
        assert "Error" in event["reason"]
