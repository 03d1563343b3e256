"""The account pages over HTTP (no browser), on SQLite and PostgreSQL: every rule and message,
the session cookie, a submission sent while signed in, its resolution, and attaching a case."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake import service
from ombuds_intake.accounts import repository as account_repository
from ombuds_intake.accounts.cases import CASES_PER_PAGE
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.accounts.security import ClientFailures
from ombuds_intake.config import Settings
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.forms.paths import validate_submission
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.control_numbers import new_control_number, parse_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import CASE_STATUS_CHANGED_V1, CaseStatusChangedV1, make_event
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support.accounts import FAST_HASHING, STRONG_PASSWORD, latest_code, phone_entry, wrong_code
from support.infra import Infra
from support.portal import Page, read_page, valid_answers

DEFINITION = load_definition()
STAFF = {"Authorization": "Bearer dev-staff-token"}


@pytest.fixture(scope="module")
async def app(database_url: str, infra: Infra) -> AsyncIterator[FastAPI]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        platform=infra.isolated_platform(),
        forms=FormSettings(min_fill_seconds=0),
        sign_in_max_failures=3,
        sign_in_client_max_failures=1000,
        **FAST_HASHING,
    )
    created = create_app(settings)
    async with created.router.lifespan_context(created):
        yield created


def new_client(app: FastAPI) -> httpx.AsyncClient:
    """One browser: its own cookie jar (CSRF cookie, session cookie, language)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://intake")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as opened:
        yield opened


def sessions_of(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(app.state.engine)


def unique_email(prefix: str = "web") -> str:
    return f"{prefix}.{uuid4().hex[:10]}@example.org"


async def submit(
    client: httpx.AsyncClient, path: str, data: dict[str, str], lang: str = "en"
) -> httpx.Response:
    """Open the page's form, then post it with its CSRF token and `data`."""
    opened = await client.get(f"{path}?lang={lang}")
    assert opened.status_code == 200, opened.text
    return await client.post(
        f"{path}?lang={lang}", data={**read_page(opened.text).hidden(), **data}
    )


def errors_of(response: httpx.Response) -> Page:
    page = read_page(response.text)
    assert page.summary_links, "no error summary"
    assert all(link[1:] in page.ids for link in page.summary_links)
    return page


async def register(
    client: httpx.AsyncClient, email: str, password: str = STRONG_PASSWORD
) -> httpx.Response:
    return await submit(
        client, "/account/register", {"name": "Ana Ruiz", "email": email, "password": password}
    )


async def verified(app: FastAPI, client: httpx.AsyncClient, email: str | None = None) -> str:
    """Register and verify with the emailed code; the client is left signed in."""
    email = email or unique_email()
    registered = await register(client, email)
    assert registered.status_code == 303, registered.text
    issued = await latest_code(sessions_of(app), "verify_email", email)
    verifying = await submit(client, "/account/verify", {"code": issued.code})
    assert verifying.status_code == 303
    assert verifying.headers["location"].startswith("/account?")
    return email


async def phone_case(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/api/v1/staff/submissions", json=phone_entry(email), headers=STAFF
    )
    assert response.status_code == 201, response.text
    return str(response.json()["control_number"])


# Pages and navigation -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_signed_out_pages_render_in_both_languages(
    client: httpx.AsyncClient, lang: str
) -> None:
    for path, english, spanish in (
        ("/account/register", "Create an account", "Cree una cuenta"),
        ("/account/sign-in", "Sign in", "Iniciar sesión"),
    ):
        response = await client.get(f"{path}?lang={lang}")
        assert response.status_code == 200
        page = read_page(response.text)
        assert page.html_lang == lang
        assert (english if lang == "en" else spanish) in response.text
    home = await client.get(f"/?lang={lang}")
    assert f'href="/account/sign-in?lang={lang}"' in home.text
    assert "/account?lang" not in home.text


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_signed_in_pages_render_in_both_languages(
    app: FastAPI, client: httpx.AsyncClient, lang: str
) -> None:
    await verified(app, client)
    for path, english, spanish in (
        ("/account", "My cases", "Mis casos"),
        ("/account/attach", "Add a case you sent by phone or mail", "Añada un caso"),
        ("/account/sign-out", "Signing out ends your session", "Al cerrar sesión"),
    ):
        response = await client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        assert read_page(response.text).html_lang == lang
        assert (english if lang == "en" else spanish) in response.text
    home = await client.get(f"/?lang={lang}")
    assert f'href="/account?lang={lang}"' in home.text


async def test_the_forms_mark_required_fields_and_name_their_purpose(
    client: httpx.AsyncClient,
) -> None:
    register_page = read_page((await client.get("/account/register")).text)
    assert register_page.required_labels == {
        "f-account-name",
        "f-account-email",
        "f-account-password",
    }
    autocomplete = {c.name: c.attrs.get("autocomplete") for c in register_page.controls}
    assert autocomplete["name"] == "name"
    assert autocomplete["email"] == "email"
    assert autocomplete["password"] == "new-password"
    assert register_page.control("password").type == "password"
    sign_in_page = read_page((await client.get("/account/sign-in")).text)
    assert sign_in_page.control("password").attrs["autocomplete"] == "current-password"
    assert sign_in_page.control("email").attrs["autocomplete"] == "email"


async def test_a_post_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/account/register")
    response = await client.post(
        "/account/register",
        data={"name": "A", "email": unique_email(), "password": STRONG_PASSWORD},
    )
    assert response.status_code == 403
    assert "could not be verified" in response.text


async def test_signed_out_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/account", "/account/attach", "/account/verify", "/account/sign-out"):
        response = await client.get(f"{path}?lang=es")
        assert response.status_code == 303, path
        assert response.headers["location"] == "/account/sign-in?lang=es"


# Registration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Your password must be at least 12 characters."),
        ("SAME-AS-EMAIL", "Your password cannot be your email address."),
        ("", "Enter your password."),
    ],
)
async def test_a_weak_password_says_which_rule_it_broke(
    client: httpx.AsyncClient, password: str, message: str
) -> None:
    email = unique_email()
    response = await register(client, email, email if password == "SAME-AS-EMAIL" else password)
    assert response.status_code == 422
    page = errors_of(response)
    assert page.summary_links == ["#f-account-password"]
    assert message in response.text
    # The name and email come back filled in; the password never does.
    assert page.control("email").value == email
    assert page.control("password").value == ""


async def test_a_bad_email_and_a_missing_name_are_each_named(client: httpx.AsyncClient) -> None:
    response = await submit(
        client, "/account/register", {"name": "", "email": "nope", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 422
    assert errors_of(response).summary_links == ["#f-account-name", "#f-account-email"]
    assert "Enter your name." in response.text
    assert "in the correct format" in response.text


async def test_an_email_already_registered_is_refused_in_any_case(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    assert (await register(client, email)).status_code == 303
    async with new_client(app) as other:
        response = await register(other, email.upper())
    assert response.status_code == 422
    assert errors_of(response).summary_links == ["#f-account-email"]
    assert "An account with this email address already exists" in response.text


async def test_the_session_cookie_is_httponly_lax_and_signed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await register(client, unique_email())
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("ombuds_account=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    # public_url is http here; with an https public_url the cookie is `__Host-` and Secure.
    assert "Secure" not in cookie
    assert app.state.account_policy.secure_cookies is False
    secure = Settings(public_url="https://ombuds.example", **FAST_HASHING)
    assert AccountPolicy.from_settings(secure).secure_cookies is True
    client.cookies.set("ombuds_account", "forged.cookie.value", domain="intake")
    assert (await client.get("/account")).status_code == 303


# Email verification -------------------------------------------------------------------------


async def test_an_unverified_account_sees_no_cases_until_the_right_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    registered = await register(client, email)
    assert registered.headers["location"] == "/account/verify?lang=en"
    refused = await client.get("/account")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/account/verify?lang=en"
    verify_page = await client.get("/account/verify")
    assert email in verify_page.text
    issued = await latest_code(sessions_of(app), "verify_email", email)

    wrong = await submit(client, "/account/verify", {"code": wrong_code(issued.code)})
    assert wrong.status_code == 422
    assert errors_of(wrong).summary_links == ["#f-account-code"]
    assert "That code is wrong" in wrong.text
    empty = await submit(client, "/account/verify", {"code": ""})
    assert "Enter the code from the email." in empty.text

    right = await submit(client, "/account/verify", {"code": issued.code})
    assert right.status_code == 303
    cases = await client.get(right.headers["location"])
    assert cases.status_code == 200
    assert "Your email address is verified." in cases.text
    assert 'id="no-cases"' in cases.text
    assert "can be added with its control number" in cases.text


async def test_a_new_code_can_be_asked_for(app: FastAPI, client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    first = await latest_code(sessions_of(app), "verify_email", email)
    page = read_page((await client.get("/account/verify?lang=en")).text)
    # Both forms on the page carry good tokens for this browser; either set will do.
    tokens = page.hidden()
    resent = await client.post("/account/verify/resend?lang=en", data=tokens)
    assert resent.status_code == 303
    assert "We sent a new code." in (await client.get(resent.headers["location"])).text
    second = await latest_code(sessions_of(app), "verify_email", email)
    assert second.verification_id != first.verification_id
    assert page.control("code").attrs["autocomplete"] == "one-time-code"


async def test_the_emailed_link_verifies_the_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    await register(client, email)
    issued = await latest_code(sessions_of(app), "verify_email", email)
    assert issued.link is not None
    path = issued.link.removeprefix("http://127.0.0.1:8000")
    async with new_client(app) as elsewhere:  # opened on another device, not signed in
        followed = await elsewhere.get(path)
        assert followed.status_code == 200
        assert "Your email address is verified." in followed.text
        again = await elsewhere.get(path)
        assert again.status_code == 410
        assert "expired or was already used" in again.text
    assert (await client.get("/account")).status_code == 200


# Sign-in and sign-out -----------------------------------------------------------------------


async def test_a_wrong_password_and_an_unknown_email_get_the_same_words(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = await verified(app, client)
    async with new_client(app) as other:
        wrong = await submit(
            other, "/account/sign-in", {"email": email, "password": "not my password"}
        )
        unknown = await submit(
            other, "/account/sign-in", {"email": unique_email(), "password": STRONG_PASSWORD}
        )
        for response in (wrong, unknown):
            assert response.status_code == 401
            assert "The email or password is wrong." in response.text
            assert errors_of(response).summary_links == ["#f-account-email"]
        missing = await submit(other, "/account/sign-in", {"email": "", "password": ""})
        assert errors_of(missing).summary_links == ["#f-account-email", "#f-account-password"]
        right = await submit(
            other, "/account/sign-in", {"email": email.upper(), "password": STRONG_PASSWORD}
        )
        assert right.status_code == 303
        assert right.headers["location"] == "/account?lang=en"
        assert (await other.get("/account")).status_code == 200


async def test_repeated_wrong_passwords_lock_the_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = await verified(app, client)
    async with new_client(app) as attacker:
        statuses = [
            (
                await submit(
                    attacker, "/account/sign-in", {"email": email, "password": f"guess {n} guess"}
                )
            ).status_code
            for n in range(3)
        ]
        assert statuses == [401, 401, 429]
        locked = await submit(
            attacker, "/account/sign-in", {"email": email, "password": STRONG_PASSWORD}
        )
    assert locked.status_code == 429
    assert "Too many wrong passwords. Wait 15 minutes, then try again." in locked.text
    assert errors_of(locked).summary_links == ["#f-account-email"]


async def test_a_client_that_keeps_guessing_is_locked_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = await verified(app, client)
    policy = app.state.account_policy
    saved = policy.client_failures
    policy.client_failures = ClientFailures(max_failures=2, window_seconds=900)
    try:
        async with new_client(app) as bot:
            for _ in range(2):
                guess = {"email": unique_email(), "password": "a guess a guess"}
                assert (await submit(bot, "/account/sign-in", guess)).status_code == 401
            right = {"email": email, "password": STRONG_PASSWORD}
            assert (await submit(bot, "/account/sign-in", right)).status_code == 429
    finally:
        policy.client_failures = saved


async def test_sign_out_ends_the_session_and_the_old_cookie_with_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await verified(app, client)
    old_cookie = client.cookies.get("ombuds_account")
    assert old_cookie
    signed_out = await submit(client, "/account/sign-out", {})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/account/sign-in?")
    assert client.cookies.get("ombuds_account") is None
    assert "You are signed out" in (await client.get(signed_out.headers["location"])).text
    # A copy of the cookie taken before signing out no longer works either.
    client.cookies.set("ombuds_account", old_cookie, domain="intake")
    assert (await client.get("/account")).status_code == 303


# Own cases ----------------------------------------------------------------------------------


async def test_a_submission_sent_while_signed_in_is_listed_with_its_resolution(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await verified(app, client)
    form = await client.get(
        "/submit/form?kind=complaint&category=general&privacy_act_acknowledged=1&lang=en"
    )
    answers = {**valid_answers(DEFINITION, "general", False), "accuracy_certified": "1"}
    sent = await client.post(
        "/submit/form?lang=en", data={**read_page(form.text).hidden(), **answers}
    )
    assert sent.status_code == 303, sent.text
    number = sent.headers["location"].split("/")[-1].split("?")[0]
    assert parse_control_number(number) == number

    listed = await client.get("/account")
    assert number in listed.text
    assert "General concerns" in listed.text or "general" in listed.text.lower()
    assert "Received" in listed.text
    assert "Not resolved yet" in listed.text

    changed = CaseStatusChangedV1(
        control_number=number,
        from_status="triage",
        to_status="closed",
        reason="Website fixed; thank you for telling us.",
        changed_at=datetime.now(UTC),
    )
    await service.apply_case_event(
        sessions_of(app), make_event("ombuds/cases", CASE_STATUS_CHANGED_V1, changed, number)
    )
    closed = await client.get("/account?lang=es")
    assert "Cerrado" in closed.text
    assert "Website fixed; thank you for telling us." in closed.text

    # Someone signed out sends nothing to anyone's account.
    async with new_client(app) as anonymous_browser:
        form = await anonymous_browser.get(
            "/submit/form?kind=complaint&category=general&privacy_act_acknowledged=1&lang=en"
        )
        other = await anonymous_browser.post(
            "/submit/form?lang=en", data={**read_page(form.text).hidden(), **answers}
        )
        assert other.status_code == 303
    other_number = other.headers["location"].split("/")[-1].split("?")[0]
    assert other_number not in (await client.get("/account")).text


# Attaching a phone or mail case -------------------------------------------------------------


async def test_a_mistyped_number_gets_check_the_number(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await verified(app, client)
    response = await submit(client, "/account/attach", {"control_number": "OMB-00000-00000-1"})
    assert response.status_code == 422
    assert errors_of(response).summary_links == ["#f-account-control_number"]
    assert "check the number" in response.text


async def test_attaching_a_phone_case_with_the_code_sent_to_its_email(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account_email = await verified(app, client)
    on_file = unique_email("caller")
    number = await phone_case(client, on_file)
    asked = await submit(client, "/account/attach", {"control_number": number.lower()})
    assert asked.status_code == 303
    code_page = await client.get(asked.headers["location"])
    assert f"If control number {number} is on file with an email address" in code_page.text
    issued = await latest_code(sessions_of(app), "attach_case", on_file)
    with pytest.raises(AssertionError):
        await latest_code(sessions_of(app), "attach_case", account_email)

    tokens = read_page(code_page.text).hidden()
    wrong = await client.post(
        "/account/attach/code?lang=en", data={**tokens, "code": wrong_code(issued.code)}
    )
    assert wrong.status_code == 422
    assert "That code is wrong" in wrong.text
    assert errors_of(wrong).summary_links == ["#f-account-code"]
    tokens = read_page(wrong.text).hidden()
    right = await client.post("/account/attach/code?lang=en", data={**tokens, "code": issued.code})
    assert right.status_code == 303
    listed = await client.get(right.headers["location"])
    assert "The case is now in your account." in listed.text
    assert number in listed.text


async def test_the_answer_is_the_same_whether_or_not_the_number_exists(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await verified(app, client)
    real = await phone_case(client, unique_email())
    made_up = new_control_number()  # well formed, passes its check, never issued
    answers = []
    for number in (real, made_up):
        asked = await submit(client, "/account/attach", {"control_number": number})
        assert asked.status_code == 303
        page = await client.get(asked.headers["location"])
        assert page.status_code == 200
        answers.append(page.text.replace(number, "NUMBER"))
    sent_words = [text.split('id="attach-sent">')[1].split("<")[0] for text in answers]
    assert sent_words[0] == sent_words[1]
    assert "NUMBER" in sent_words[0]
    assert read_page(answers[0]).visible_names() == read_page(answers[1]).visible_names()


async def test_a_case_in_someone_elses_account_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    on_file = unique_email("shared")
    number = await phone_case(client, on_file)
    await verified(app, client)
    asked = await submit(client, "/account/attach", {"control_number": number})
    first = await latest_code(sessions_of(app), "attach_case", on_file)
    page = read_page((await client.get(asked.headers["location"])).text)
    done = await client.post(
        "/account/attach/code?lang=en", data={**page.hidden(), "code": first.code}
    )
    assert done.status_code == 303

    async with new_client(app) as other:
        await verified(app, other)
        asked = await submit(other, "/account/attach", {"control_number": number})
        second = await latest_code(sessions_of(app), "attach_case", on_file)
        page = read_page((await other.get(asked.headers["location"])).text)
        refused = await other.post(
            "/account/attach/code?lang=en", data={**page.hidden(), "code": second.code}
        )
        assert refused.status_code == 409
        assert "This case is already in another account" in refused.text
        assert number not in (await other.get("/account")).text


async def test_many_cases_come_in_pages_with_links_between_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = await verified(app, client)
    async with sessions_of(app)() as session:
        account = await account_repository.by_email(session, email)
    assert account is not None
    validated = validate_submission(phone_entry(email), audience="staff")
    limits = app.state.attachment_limits
    for _ in range(CASES_PER_PAGE + 1):
        await service.accept_submission(sessions_of(app), validated, None, None, limits, account.id)
    first = await client.get("/account?lang=en")
    assert "Page 1 of 2" in first.text
    assert 'href="/account?page=2&amp;lang=en"' in first.text
    assert first.text.count("<tr>") == CASES_PER_PAGE + 1  # the header row, then 20 cases
    second = await client.get("/account?page=2&lang=en")
    assert "Page 2 of 2" in second.text
    assert 'href="/account?page=1&amp;lang=en"' in second.text
    assert second.text.count("<tr>") == 2
