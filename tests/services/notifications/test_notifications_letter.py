"""The acknowledgement letter: prepared once per case, printable, found by control number."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.main import create_app
from ombuds_notifications.models import Message, OutboxRecord
from ombuds_shared.contracts import PrepareAcknowledgementLetter, SendAcknowledgement
from ombuds_shared.control_numbers import new_control_number

SessionFactory = async_sessionmaker[AsyncSession]
MakeLetter = Callable[..., PrepareAcknowledgementLetter]
MakeRequest = Callable[..., SendAcknowledgement]

ADDRESS = ["Calle Mayor 12, 3.º B", "Springfield, IL 62704", "USA"]
HOSTILE_NAME = "Ana <script>alert('x')</script> & Co"
ESCAPED_NAME = "Ana &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"


def _letter(**overrides: Any) -> PrepareAcknowledgementLetter:
    fields: dict[str, Any] = {
        "control_number": new_control_number(),
        "kind": "complaint",
        "channel": "letter",
        "recipient_name": "Ana Pérez",
        "address_lines": ADDRESS,
        "language": "en",
        **overrides,
    }
    return PrepareAcknowledgementLetter.model_validate(fields)


@pytest.fixture
def make_letter() -> MakeLetter:
    return _letter


async def log_for(session_factory: SessionFactory, control_number: str) -> list[Message]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Message).where(Message.control_number == control_number)
        )
        return list(rows.all())


async def outbox(session_factory: SessionFactory, control_number: str) -> list[OutboxRecord]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxRecord).where(OutboxRecord.message_key == control_number)
        )
        return list(rows.all())


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as client,
    ):
        yield client


async def test_prepares_one_letter_and_logs_it(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter()

    result = await activity_env.run(activities.prepare_acknowledgement_letter, request)

    assert result.already_prepared is False
    [message] = await log_for(session_factory, request.control_number)
    assert message.message_id == result.message_id
    assert message.idempotency_key == f"{request.control_number}:acknowledgement-letter"
    assert (message.channel, message.status, message.template, message.language) == (
        "letter",
        "ready_to_print",
        "acknowledgement_letter",
        "en",
    )
    assert message.recipient == "Ana Pérez"
    assert message.sent_at is None
    assert message.subject == (
        f"Acknowledgement of your complaint — control number {request.control_number}"
    )
    assert message.body is not None
    body = message.body
    assert body.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in body
    assert "Ombuds — Information Center" in body
    assert "Dear Ana Pérez," in body
    assert body.count(request.control_number) >= 3  # subject, the number itself, how to quote it
    for line in ADDRESS:
        assert f'<span class="line">{line}</span>' in body
    assert "by phone, by mail or online" in body
    assert "Anonymity does not apply" in body
    assert "which we received by mail" in body
    assert "@page" in body
    # Printable offline: nothing to fetch.
    for external in ("http://", "https://", "<script", "<link", "<img", "src="):
        assert external not in body
    # A letter is not an email: nothing is announced as sent.
    assert await outbox(session_factory, request.control_number) == []


async def test_names_and_addresses_are_escaped(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter(
        recipient_name=HOSTILE_NAME, address_lines=['1 "Quoted" St <b>', "Town & Country"]
    )

    await activity_env.run(activities.prepare_acknowledgement_letter, request)

    [message] = await log_for(session_factory, request.control_number)
    assert message.body is not None
    assert "<script>" not in message.body
    assert "<b>" not in message.body
    assert ESCAPED_NAME in message.body
    assert "1 &#34;Quoted&#34; St &lt;b&gt;" in message.body
    assert "Town &amp; Country" in message.body
    assert message.recipient == HOSTILE_NAME


async def test_a_retry_prepares_nothing_new(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter()

    first = await activity_env.run(activities.prepare_acknowledgement_letter, request)
    [before] = await log_for(session_factory, request.control_number)
    retry = request.model_copy(update={"recipient_name": "Someone Else"})
    second = await activity_env.run(activities.prepare_acknowledgement_letter, retry)

    assert (first.already_prepared, second.already_prepared) == (False, True)
    assert second.message_id == first.message_id
    [after] = await log_for(session_factory, request.control_number)
    assert (after.id, after.body, after.recipient, after.attempts) == (
        before.id,
        before.body,
        "Ana Pérez",
        1,
    )


async def test_concurrent_attempts_share_one_letter(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter()

    results = await asyncio.gather(
        *(activity_env.run(activities.prepare_acknowledgement_letter, request) for _ in range(3))
    )

    assert len({r.message_id for r in results}) == 1
    assert sorted(r.already_prepared for r in results) == [False, True, True]
    assert len(await log_for(session_factory, request.control_number)) == 1


async def test_the_email_and_the_letter_are_separate_messages(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
    make_request: MakeRequest,
) -> None:
    letter = make_letter()
    email = make_request(control_number=letter.control_number)

    await activity_env.run(activities.send_acknowledgement, email)
    await activity_env.run(activities.prepare_acknowledgement_letter, letter)

    messages = await log_for(session_factory, letter.control_number)
    assert sorted(m.channel for m in messages) == ["email", "letter"]


async def test_spanish_letter_is_in_spanish(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter(language="es-MX", kind="comment", channel="comment_card")

    await activity_env.run(activities.prepare_acknowledgement_letter, request)

    [message] = await log_for(session_factory, request.control_number)
    assert message.language == "es"
    assert message.subject == (
        f"Acuse de recibo de su comentario — número de control {request.control_number}"
    )
    assert message.body is not None
    body = message.body
    assert '<html lang="es">' in body
    assert "Ombuds — Centro de Información" in body
    assert "Estimado(a) Ana Pérez:" in body
    assert "recibimos en una tarjeta de comentarios. Lo registramos" in body
    assert "por teléfono, por correo postal o en línea" in body
    assert "El anonimato no se aplica" in body
    assert "Atentamente," in body
    for english in ("Dear", "Thank you", "control number", "Information Center", "Sincerely"):
        assert english not in body


async def test_the_letter_is_dated_in_its_language(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    english, spanish = make_letter(), make_letter(language="es")

    await activity_env.run(activities.prepare_acknowledgement_letter, english)
    await activity_env.run(activities.prepare_acknowledgement_letter, spanish)

    [en] = await log_for(session_factory, english.control_number)
    [es] = await log_for(session_factory, spanish.control_number)
    day = en.created_at.date()
    assert en.body is not None
    assert es.body is not None
    assert f'<time datetime="{day.isoformat()}">{day.day} ' in en.body
    assert f'<time datetime="{day.isoformat()}">{day.day} de ' in es.body


async def test_a_letter_without_an_address_fails_for_good(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter(address_lines=["  ", ""])

    with pytest.raises(ApplicationError) as raised:
        await activity_env.run(activities.prepare_acknowledgement_letter, request)

    assert (raised.value.type, raised.value.non_retryable) == ("NoPostalAddress", True)
    assert await log_for(session_factory, request.control_number) == []


async def test_the_letter_endpoint_serves_the_printable_page(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    make_letter: MakeLetter,
) -> None:
    request = make_letter(recipient_name=HOSTILE_NAME)
    result = await activity_env.run(activities.prepare_acknowledgement_letter, request)

    response = await client.get(f"/api/v1/messages/{result.message_id}/letter")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'inline; filename="acknowledgement-{request.control_number}.html"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    [message] = await log_for(session_factory, request.control_number)
    assert response.text == message.body
    assert ESCAPED_NAME in response.text


async def test_unknown_message_has_no_letter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/messages/0b6f6c8e-6b8f-4a51-9f37-2f8c8f7c4f11/letter")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "not_found"


async def test_an_email_has_no_letter(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_request: MakeRequest,
) -> None:
    result = await activity_env.run(activities.send_acknowledgement, make_request())

    response = await client.get(f"/api/v1/messages/{result.message_id}/letter")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_lists_a_cases_messages_by_control_number(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_letter: MakeLetter,
) -> None:
    request = make_letter()
    other = make_letter()
    result = await activity_env.run(activities.prepare_acknowledgement_letter, request)
    await activity_env.run(activities.prepare_acknowledgement_letter, other)

    # Staff may type the number in lower case and without its dashes.
    typed = request.control_number.lower().replace("-", "")
    response = await client.get("/api/v1/messages", params={"control_number": typed})

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 1
    [item] = page["items"]
    assert item["message_id"] == result.message_id
    assert item["control_number"] == request.control_number
    assert (item["channel"], item["status"], item["recipient"]) == (
        "letter",
        "ready_to_print",
        "Ana Pérez",
    )
    assert "body" not in item


async def test_lists_by_recipient_and_control_number_together(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    make_letter: MakeLetter,
    make_request: MakeRequest,
) -> None:
    letter = make_letter()
    email = make_request(control_number=letter.control_number)
    await activity_env.run(activities.prepare_acknowledgement_letter, letter)
    await activity_env.run(activities.send_acknowledgement, email)

    by_case = (
        await client.get("/api/v1/messages", params={"control_number": letter.control_number})
    ).json()
    by_both = (
        await client.get(
            "/api/v1/messages",
            params={
                "control_number": letter.control_number,
                "recipient": email.recipient_email,
            },
        )
    ).json()
    by_name = (
        await client.get(
            "/api/v1/messages",
            params={"control_number": letter.control_number, "recipient": "Ana Pérez"},
        )
    ).json()

    assert sorted(i["channel"] for i in by_case["items"]) == ["email", "letter"]
    assert [i["channel"] for i in by_both["items"]] == ["email"]
    assert [i["channel"] for i in by_name["items"]] == ["letter"]


async def test_listing_needs_a_recipient_or_a_control_number(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/messages", params={"limit": 10})

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "control_number",
        "recipient",
    ]
