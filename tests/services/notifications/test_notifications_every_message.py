"""Every message kind in every language: the email (plain text and HTML alternative) and, for
the submitter's messages, the printable letter drawn to PDF and read back with pdftotext
(address block, control number, date in the letter's language, subject). Redirections reach
paper submissions as letters too, and a sent redirection email is announced for the case."""

import json
import subprocess
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications import contacts
from ombuds_notifications.catalogue import STAFF_ESCALATION, TEMPLATES, TemplateSpec
from ombuds_notifications.config import Settings
from ombuds_notifications.models import Message, OutboxRecord
from ombuds_notifications.pdf import letter_pdf
from ombuds_notifications.redirection import RedirectionMailer, redirection_key
from ombuds_notifications.rendering import (
    ACKNOWLEDGEMENT_LETTER,
    SUPPORTED_LANGUAGES,
    format_date,
    html_alternative,
    lifecycle_letter,
    paragraphs,
    render,
    render_letter,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    CASE_REDIRECTED_V1,
    NOTIFICATION_SENT_V1,
    CaseRedirectedV1,
    CloudEvent,
    make_event,
)

from .test_notifications_catalogue import CONTROL_NUMBER, SAMPLES
from .test_notifications_lifecycle import received

Sessions = async_sessionmaker[AsyncSession]
NAME = "José Muñoz"
ADDRESS = ["Calle Mayor 12, 3.º B", "Springfield, IL 62704", "USA"]
LETTER_DATE = date(2026, 11, 23)
SUBMITTER_TEMPLATES = [spec for spec in TEMPLATES.values() if spec.name != STAFF_ESCALATION]


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def flat(text: str) -> str:
    """pdftotext breaks long lines where the page did: compare words, not line breaks."""
    return " ".join(text.split())


def variables(spec: TemplateSpec) -> dict[str, Any]:
    return {name: SAMPLES[name] for name in spec.variables}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("spec", TEMPLATES.values(), ids=lambda spec: spec.name)
def test_every_email_renders_with_its_html_alternative(spec: TemplateSpec, language: str) -> None:
    rendered = render(spec.name, language, **variables(spec))
    html = html_alternative(rendered)
    assert CONTROL_NUMBER in rendered.subject
    assert f'lang="{language}"' in html
    # The HTML part carries the same subject and the same paragraphs, escaped.
    assert str(escape(rendered.subject)) in html
    for paragraph in paragraphs(rendered.body):
        assert str(escape(paragraph.lines[0])) in html, paragraph.lines[0]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("spec", SUBMITTER_TEMPLATES, ids=lambda spec: spec.name)
def test_every_submitter_message_prints_as_a_pdf_letter(
    spec: TemplateSpec, language: str, tmp_path: Path
) -> None:
    rendered = render(spec.name, language, **{**variables(spec), "recipient_name": NAME})
    html = lifecycle_letter(rendered, CONTROL_NUMBER, NAME, ADDRESS, LETTER_DATE)
    content = letter_pdf(html, rendered.subject)
    assert content.startswith(b"%PDF-")
    text = flat(pdf_text(content, tmp_path))
    for expected in (NAME, *ADDRESS, CONTROL_NUMBER, format_date(LETTER_DATE, language)):
        assert expected in text, expected
    assert flat(rendered.subject) in text
    label = "Número de control" if language == "es" else "Control number"
    assert f"{label}: {CONTROL_NUMBER}" in text
    for name in spec.variables & {"question", "agency", "reason", "agency_name"}:
        assert SAMPLES[name] in text, name


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_acknowledgement_letter_prints_in_each_language(language: str, tmp_path: Path) -> None:
    rendered = render_letter(
        ACKNOWLEDGEMENT_LETTER,
        language,
        control_number=CONTROL_NUMBER,
        kind="complaint",
        channel="letter",
        recipient_name=NAME,
        address_lines=ADDRESS,
        letter_date=LETTER_DATE,
        letter_date_text=format_date(LETTER_DATE, language),
    )
    text = flat(pdf_text(letter_pdf(rendered.body, rendered.subject), tmp_path))
    for expected in (NAME, *ADDRESS, CONTROL_NUMBER, format_date(LETTER_DATE, language)):
        assert expected in text, expected


def redirected(number: str, to: str, email: str | None, language: str = "en") -> CloudEvent:
    body = CaseRedirectedV1(
        control_number=number,
        to=to,
        agency_name="Transportation Security Administration" if to == "outside_agency" else None,
        reason="outside our remit",
        disposition="redirected_to_dhs_trip" if to == "dhs_trip" else "no_jurisdiction",
        anonymous=False,
        recipient_email=email,
        recipient_name="José Muñoz",
        language=language,
        redirected_at=datetime.now(UTC),
    )
    return make_event("ombuds/cases", CASE_REDIRECTED_V1, body, number)


async def remember(sessions: Sessions, submission: CloudEvent) -> None:
    async with UnitOfWork(sessions) as uow:
        await contacts.remember(uow.session, contacts.contact_from_event(submission))
        await uow.commit()


async def messages_of(sessions: Sessions, number: str) -> list[Message]:
    async with sessions() as session:
        rows = await session.scalars(select(Message).where(Message.control_number == number))
        return list(rows.all())


@pytest.mark.parametrize("to", ["dhs_trip", "outside_agency"])
async def test_a_mail_submission_is_redirected_by_letter_in_its_language(
    session_factory: Sessions, settings: Settings, maildir: Path, tmp_path: Path, to: str
) -> None:
    submission = received(channel="mail", language="es")
    number = submission.subject
    await remember(session_factory, submission)
    event = redirected(number, to, email=None, language="en")
    mailer = RedirectionMailer(session_factory, settings)
    await mailer.handle(event)
    await mailer.handle(event)  # redelivered: one letter

    [letter] = await messages_of(session_factory, number)
    assert (letter.channel, letter.status, letter.idempotency_key) == (
        "letter",
        "ready_to_print",
        redirection_key(number),
    )
    assert letter.language == "es"  # the submitter's language, from the contact copy
    assert letter.body is not None
    text = flat(pdf_text(letter_pdf(letter.body, letter.subject), tmp_path))
    for expected in ("Ana Pérez", "Calle Año 5", number, "Número de control"):
        assert expected in text, expected
    assert ("DHS TRIP" if to == "dhs_trip" else "Transportation Security Administration") in text
    assert [m for m in read_messages(maildir) if number in str(m["Subject"])] == []


async def test_a_phone_submission_without_an_address_is_redirected_by_a_note_to_call(
    session_factory: Sessions, settings: Settings
) -> None:
    submission = received(channel="phone")
    submission.data["contact"].pop("city")  # no postal address
    number = submission.subject
    await remember(session_factory, submission)
    await RedirectionMailer(session_factory, settings).handle(
        redirected(number, "dhs_trip", email=None)
    )
    [note] = await messages_of(session_factory, number)
    assert (note.channel, note.status) == ("phone", "call_required")


async def test_a_redirection_email_is_announced_as_sent_for_the_case(
    session_factory: Sessions, settings: Settings, maildir: Path
) -> None:
    submission = received(channel="web")
    number = submission.subject
    await remember(session_factory, submission)
    await RedirectionMailer(session_factory, settings).handle(
        redirected(number, "outside_agency", email="ana@example.org")
    )
    [email] = await messages_of(session_factory, number)
    assert (email.channel, email.status) == ("email", "sent")
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxRecord).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == NOTIFICATION_SENT_V1,
            )
        )
        [announced] = [json.loads(row.payload)["data"] for row in rows.all()]
    assert announced["template"] == "redirected_outside_agency"
    assert announced["channel"] == "email"
