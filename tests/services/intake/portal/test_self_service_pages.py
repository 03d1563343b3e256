"""The self-service pages over HTTP (no browser): code, link, supplement, correct, withdraw."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import OutboxRecord, Submission
from ombuds_intake.portal.self_service import COOKIE
from ombuds_intake.self_service.models import Amendment, Supplement
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import (
    SUBMISSION_SUPPLEMENTED_V2,
    SUBMISSION_WITHDRAWN_V1,
    VERIFICATION_CODE_ISSUED_V1,
    CloudEvent,
)
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
from support.infra import Infra
from support.portal import Page, read_page

EXAMPLES = Path(__file__).parents[4] / "examples" / "submissions"


@pytest.fixture(scope="module")
async def portal(
    database_url: str, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        platform=infra.isolated_platform(),
        forms=FormSettings(min_fill_seconds=0),
        attachments_dir=str(tmp_path_factory.mktemp("attachments")),
        public_url="https://intake",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://intake"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture(autouse=True)
async def english(portal: httpx.AsyncClient) -> None:
    """Each test starts in English: the language choice is a sticky cookie."""
    await portal.get("/?lang=en")


def sessions(client: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(client.app.state.engine)  # type: ignore[attr-defined]


async def submit(client: httpx.AsyncClient) -> tuple[str, str]:
    body = json.loads((EXAMPLES / "complaint.json").read_text())
    email = f"maria+{uuid.uuid4().hex[:8]}@example.org"
    body["contact"]["email"] = email
    response = await client.post("/api/v1/submissions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["control_number"]), email


async def last_code_event(client: httpx.AsyncClient, number: str) -> dict[str, Any] | None:
    async with sessions(client)() as session:
        row = await session.scalar(
            select(OutboxRecord)
            .where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == VERIFICATION_CODE_ISSUED_V1,
            )
            .order_by(OutboxRecord.id.desc())
        )
    return CloudEvent.model_validate_json(row.payload).data if row is not None else None


async def page(client: httpx.AsyncClient, url: str, status: int = 200) -> Page:
    response = await client.get(url)
    assert response.status_code == status, response.text
    return read_page(response.text)


async def post(
    client: httpx.AsyncClient, url: str, form: Page, data: dict[str, str], **kwargs: Any
) -> httpx.Response:
    return await client.post(url, data={**form.hidden(), **data}, **kwargs)


async def ask_for_code(client: httpx.AsyncClient, number: str, email: str) -> httpx.Response:
    form = await page(client, "/manage")
    return await post(client, "/manage", form, {"control_number": number, "email": email})


async def signed_in(client: httpx.AsyncClient) -> tuple[str, str]:
    """A new submission whose self-service cookie the client holds; its number and email."""
    number, email = await submit(client)
    response = await ask_for_code(client, number, email)
    assert response.status_code == 303
    event = await last_code_event(client, number)
    assert event is not None
    form = await page(client, response.headers["location"])
    confirmed = await post(
        client,
        "/manage/code",
        form,
        {"control_number": number, "code": event["code"]},
    )
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"].startswith(f"/manage/{number}")
    cookie = confirmed.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    return number, email


@pytest.mark.parametrize(
    ("path", "english", "spanish"),
    [("/manage", "Change a submission", "Modificar un envío")],
)
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_start_page_in_both_languages(
    portal: httpx.AsyncClient, path: str, english: str, spanish: str, lang: str
) -> None:
    response = await portal.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    assert (english if lang == "en" else spanish) in response.text
    parsed = read_page(response.text)
    assert parsed.html_lang == lang
    assert {"f-manage-control_number", "f-manage-email"} <= parsed.required_labels
    # Anonymous submitters are told they cannot use this page.
    assert ("Anonymous" if lang == "en" else "anónimos") in response.text


async def test_navigation_and_status_page_link_here(portal: httpx.AsyncClient) -> None:
    status = await portal.get("/status")
    assert status.text.count('href="/manage?lang=en"') == 2


async def test_wrong_email_leads_to_the_same_page_without_a_code(
    portal: httpx.AsyncClient,
) -> None:
    number, email = await submit(portal)
    wrong = await ask_for_code(portal, number, "someone@example.org")
    right = await ask_for_code(portal, number, email)
    assert wrong.status_code == right.status_code == 303
    assert wrong.headers["location"] == right.headers["location"]
    assert (await last_code_event(portal, number)) is not None
    async with sessions(portal)() as session:
        count = len(
            list(
                await session.scalars(
                    select(OutboxRecord).where(
                        OutboxRecord.message_key == number,
                        OutboxRecord.event_type == VERIFICATION_CODE_ISSUED_V1,
                    )
                )
            )
        )
    assert count == 1


async def test_missing_and_mistyped_fields_are_summarised(portal: httpx.AsyncClient) -> None:
    number, _email = await submit(portal)
    typo = number[:-1] + ("A" if number[-1] != "A" else "B")
    form = await page(portal, "/manage")
    response = await post(portal, "/manage", form, {"control_number": typo, "email": ""})
    assert response.status_code == 422
    parsed = read_page(response.text)
    assert parsed.summary_links == ["#f-manage-control_number", "#f-manage-email"]
    assert "check the number" in response.text


async def test_wrong_code_says_how_many_tries_are_left(portal: httpx.AsyncClient) -> None:
    number, email = await submit(portal)
    response = await ask_for_code(portal, number, email)
    form = await page(portal, response.headers["location"])
    event = await last_code_event(portal, number)
    assert event is not None
    wrong = "000000" if event["code"] != "000000" else "111111"
    answer = await post(portal, "/manage/code", form, {"control_number": number, "code": wrong})
    assert answer.status_code == 422
    assert "You have 4 more tries" in answer.text
    assert read_page(answer.text).summary_links == ["#f-manage-code"]


async def test_emailed_link_signs_in_once_after_a_click(portal: httpx.AsyncClient) -> None:
    number, email = await submit(portal)
    await ask_for_code(portal, number, email)
    event = await last_code_event(portal, number)
    assert event is not None
    link = urlsplit(event["link"])
    # Opening the link (as a mail scanner would) spends nothing: it shows a button.
    opened = await portal.get(f"{link.path}?{link.query}")
    assert opened.status_code == 200
    assert COOKIE not in opened.headers.get("set-cookie", "")
    again = await portal.get(f"{link.path}?{link.query}")
    button = read_page(again.text)
    first = await portal.post(link.path, data=button.hidden())
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"/manage/{number}")
    assert f"{COOKIE}=" in first.headers["set-cookie"]
    second = await portal.post(link.path, data=button.hidden())
    assert second.status_code == 410
    assert "This link no longer works" in second.text


async def test_the_link_button_needs_the_csrf_token(portal: httpx.AsyncClient) -> None:
    number, email = await submit(portal)
    await ask_for_code(portal, number, email)
    event = await last_code_event(portal, number)
    assert event is not None
    link = urlsplit(event["link"])
    token = link.query.removeprefix("token=")
    forged = await portal.post(link.path, data={"token": token, "csrf_token": "forged"})
    assert forged.status_code == 403
    # Refused before the token was tried: the real button still works.
    button = read_page((await portal.get(f"{link.path}?{link.query}")).text)
    assert (await portal.post(link.path, data=button.hidden())).status_code == 303


async def test_without_the_cookie_the_case_page_asks_for_a_code(
    portal: httpx.AsyncClient,
) -> None:
    number, _email = await submit(portal)
    portal.cookies.delete(COOKIE, path="/manage")
    response = await portal.get(f"/manage/{number}/withdraw")
    assert response.status_code == 303
    assert response.headers["location"] == f"/manage?lang=en&control_number={number}"


async def test_supplement_correct_and_withdraw(portal: httpx.AsyncClient) -> None:
    number, _email = await signed_in(portal)
    case = await portal.get(f"/manage/{number}")
    assert case.status_code == 200
    assert f"/manage/{number}/supplement" in case.text

    form = await page(portal, f"/manage/{number}/supplement")
    assert form.control("file").type == "file"
    response = await portal.post(
        f"/manage/{number}/supplement",
        data={**form.hidden(), "text": "The badge number was 4471."},
        files={"file": ("receipt.pdf", sample_files.pdf(), "application/pdf")},
    )
    assert response.status_code == 303, response.text
    case = await portal.get(response.headers["location"])
    assert "Your information was added." in case.text
    assert "The badge number was 4471." in case.text
    assert "Files: 1" in case.text

    correct_page = await portal.get(f"/manage/{number}/correct")
    # Only fields of this submission's path are offered (border patrol: no trade section).
    assert 'value="contact.phone"' in correct_page.text
    assert 'value="trade.entry_type"' not in correct_page.text
    form = read_page(correct_page.text)
    bad = await post(
        portal, f"/manage/{number}/correct", form, {"field": "contact.phone", "value": "call me"}
    )
    assert bad.status_code == 422
    assert read_page(bad.text).summary_links == ["#f-correct-value"]
    form = read_page(bad.text)
    good = await post(
        portal,
        f"/manage/{number}/correct",
        form,
        {"field": "contact.phone", "value": "619 555 0199", "reason": "Typo"},
    )
    assert good.status_code == 303, good.text
    case = await portal.get(good.headers["location"])
    assert "619 555 0142" in case.text
    assert "619 555 0199" in case.text

    form = await page(portal, f"/manage/{number}/withdraw")
    unconfirmed = await post(portal, f"/manage/{number}/withdraw", form, {})
    assert unconfirmed.status_code == 422
    assert read_page(unconfirmed.text).summary_links == ["#f-withdraw-confirm"]
    done = await post(
        portal, f"/manage/{number}/withdraw", read_page(unconfirmed.text), {"confirm": "1"}
    )
    assert done.status_code == 303
    case = await portal.get(done.headers["location"])
    assert "Your submission was withdrawn." in case.text
    assert 'id="finished"' in case.text
    assert f"/manage/{number}/supplement" not in case.text

    async with sessions(portal)() as session:
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == number)
        )
        supplements = list(
            await session.scalars(select(Supplement).where(Supplement.control_number == number))
        )
        amendments = list(
            await session.scalars(select(Amendment).where(Amendment.control_number == number))
        )
        withdrawn = await session.scalar(
            select(OutboxRecord).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == SUBMISSION_WITHDRAWN_V1,
            )
        )
    assert submission is not None
    assert submission.status == "withdrawn"
    assert submission.original["contact"]["phone"] == "619 555 0142"
    assert [len(s.attachments) for s in supplements] == [1]
    assert [(a.field, a.new_value, a.reason) for a in amendments] == [
        ("contact.phone", "619 555 0199", "Typo")
    ]
    assert withdrawn is not None


async def test_supplement_refuses_a_file_of_the_wrong_type(portal: httpx.AsyncClient) -> None:
    number, _email = await signed_in(portal)
    form = await page(portal, f"/manage/{number}/supplement?lang=es")
    response = await portal.post(
        f"/manage/{number}/supplement?lang=es",
        data=form.hidden(),
        files={"file": ("setup.pdf", sample_files.windows_program(), "application/pdf")},
    )
    assert response.status_code == 422
    assert "El archivo debe ser PDF, JPEG o PNG." in response.text
    assert read_page(response.text).summary_links == ["#f-supplement-file"]


async def test_status_page_counts_additions_without_showing_them(
    portal: httpx.AsyncClient,
) -> None:
    number, email = await signed_in(portal)
    form = await page(portal, f"/manage/{number}/supplement")
    added = await post(portal, f"/manage/{number}/supplement", form, {"text": "Secret detail."})
    assert added.status_code == 303
    lookup = await page(portal, "/status")
    response = await post(portal, "/status", lookup, {"control_number": number, "email": email})
    assert response.status_code == 200
    assert "Additions you made: 1" in response.text
    assert "Corrections you made" not in response.text
    assert "Secret detail." not in response.text


async def test_a_reply_link_goes_through_the_code_and_sends_a_v2_supplement(
    portal: httpx.AsyncClient,
) -> None:
    number, email = await submit(portal)
    request_id = uuid.uuid4().hex
    reply_url = f"/manage/{number}/reply/{request_id}"

    # The link alone shows nothing: it remembers where it was going and asks for the code.
    opened = await portal.get(reply_url)
    assert opened.status_code == 303
    assert opened.headers["location"].startswith(f"/manage?lang=en&control_number={number}")
    remembered = opened.headers["set-cookie"]
    assert "ombuds_reply=" in remembered
    assert "HttpOnly" in remembered
    response = await ask_for_code(portal, number, email)
    event = await last_code_event(portal, number)
    assert event is not None
    form = await page(portal, response.headers["location"])
    confirmed = await post(
        portal, "/manage/code", form, {"control_number": number, "code": event["code"]}
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{reply_url}?lang=en"

    shown = await portal.get(reply_url)
    assert "Answer our request for information" in shown.text
    form = read_page(shown.text)
    empty = await post(portal, reply_url, form, {"text": ""})
    assert empty.status_code == 422
    assert read_page(empty.text).summary_links == ["#f-supplement-text"]
    sent = await portal.post(
        reply_url,
        data={**read_page(empty.text).hidden(), "text": "It was lane 4."},
        files={"file": ("ticket.pdf", sample_files.pdf(), "application/pdf")},
    )
    assert sent.status_code == 303, sent.text
    case = await portal.get(sent.headers["location"])
    assert "Your answer was sent." in case.text

    async with sessions(portal)() as session:
        [row] = list(
            await session.scalars(select(Supplement).where(Supplement.control_number == number))
        )
        outbox = await session.scalar(
            select(OutboxRecord).where(
                OutboxRecord.message_key == number,
                OutboxRecord.event_type == SUBMISSION_SUPPLEMENTED_V2,
            )
        )
    assert row.reply_to_request == request_id
    assert outbox is not None
    data = CloudEvent.model_validate_json(outbox.payload).data
    assert data["reply_to_request"] == request_id
    assert data["text"] == "It was lane 4."
    assert data["attachments"] == row.attachments
    assert len(row.attachments) == 1


async def test_a_reply_link_with_a_malformed_request_id_goes_nowhere(
    portal: httpx.AsyncClient,
) -> None:
    number, _email = await signed_in(portal)
    response = await portal.get(f"/manage/{number}/reply/not-an-id")
    assert response.status_code == 303
    assert "ombuds_reply" not in response.headers.get("set-cookie", "")
    posted = await portal.post(f"/manage/{number}/reply/not-an-id", data={"text": "x"})
    assert posted.status_code == 303
