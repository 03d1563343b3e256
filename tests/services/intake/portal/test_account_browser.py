"""Accounts in Debian's Chromium: axe-core finds no violation on any account page in English
or Spanish, and a person registers, verifies, signs in, sends a complaint, finds it in My
cases, adds a case staff took by phone, and signs out."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_devstack.processes import free_port
from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support.accounts import FAST_HASHING, STRONG_PASSWORD, latest_code, phone_entry
from support.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible
from support.infra import Infra

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, Page, async_playwright


@dataclass
class Intake:
    url: str
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def intake(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    """Intake on a free port, in a thread, on its own SQLite database."""
    database = f"sqlite:///{tmp_path_factory.mktemp('account-browser') / 'intake.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database)
    settings = Settings(
        database_url=database,
        platform=infra.isolated_platform(),
        forms=FormSettings(min_fill_seconds=0),
        **FAST_HASHING,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "intake did not start"
        await asyncio.sleep(0.05)
    engine = create_engine(database)
    try:
        yield Intake(f"http://127.0.0.1:{port}", create_session_factory(engine))
    finally:
        await engine.dispose()
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator["Browser"]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: "Browser", intake: Intake) -> AsyncIterator["Page"]:
    context = await browser.new_context(base_url=intake.url, locale="en-US")
    opened = await context.new_page()
    yield opened
    await context.close()


def unique_email(prefix: str) -> str:
    return f"{prefix}.{uuid4().hex[:10]}@example.org"


async def register_and_verify(page: "Page", intake: Intake, lang: str) -> str:
    email = unique_email("browser")
    await page.goto(f"/account/register?lang={lang}")
    await page.fill("#f-account-name", "Ana Ruiz")
    await page.fill("#f-account-email", email)
    await page.fill("#f-account-password", STRONG_PASSWORD)
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account/verify?**")
    issued = await latest_code(intake.sessions, "verify_email", email)
    await page.fill("#f-account-code", issued.code)
    await page.click("main form.usa-form button[type=submit]")
    await page.wait_for_url("**/account?**")
    return email


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_every_account_page_has_no_axe_violations(
    page: "Page", intake: Intake, lang: str
) -> None:
    for path in ("/account/register", "/account/sign-in"):
        await page.goto(f"{path}?lang={lang}")
        assert await page.get_attribute("html", "lang") == lang
        await assert_accessible(page)
    # Error states: a weak password, then a wrong password.
    await page.goto(f"/account/register?lang={lang}")
    await page.fill("#f-account-name", "Ana")
    await page.fill("#f-account-email", unique_email("weak"))
    await page.fill("#f-account-password", "short")
    await page.click("main form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.goto(f"/account/sign-in?lang={lang}")
    await page.fill("#f-account-email", unique_email("nobody"))
    await page.fill("#f-account-password", "a wrong password")
    await page.click("main form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)

    # Signed in but unverified, then verified: every remaining page.
    email = unique_email("axe")
    await page.goto(f"/account/register?lang={lang}")
    await page.fill("#f-account-name", "Ana Ruiz")
    await page.fill("#f-account-email", email)
    await page.fill("#f-account-password", STRONG_PASSWORD)
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account/verify?**")
    await assert_accessible(page)
    await page.fill("#f-account-code", "000000" if lang == "en" else "999999")
    await page.click("main form.usa-form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    issued = await latest_code(intake.sessions, "verify_email", email)
    await page.fill("#f-account-code", issued.code)
    await page.click("main form.usa-form button[type=submit]")
    await page.wait_for_url("**/account?**")
    assert await page.locator("#no-cases").is_visible()
    await assert_accessible(page)
    for path in ("/account/attach", "/account/sign-out"):
        await page.goto(f"{path}?lang={lang}")
        assert await page.get_attribute("html", "lang") == lang
        await assert_accessible(page)
    await page.goto(f"/account/attach?lang={lang}")
    await page.fill("#f-account-control_number", "OMB-00000-00000-1")
    await page.click("main form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    # What an old or unknown emailed link shows.
    await page.goto(f"/account/verify/{uuid4().hex}?token=stale&lang={lang}")
    assert await page.locator("#account-message").is_visible()
    await assert_accessible(page)
    # The code page, for a well-formed number nobody has on file.
    await page.goto(f"/account/attach/code?number={new_control_number()}&lang={lang}")
    assert await page.locator("#f-account-code").is_visible()
    await assert_accessible(page)


async def test_register_verify_submit_attach_and_sign_out(page: "Page", intake: Intake) -> None:
    email = await register_and_verify(page, intake, "en")
    assert await page.locator("#no-cases").is_visible()

    # Sign out and back in, as a returning person would.
    await page.click("main a[href^='/account/sign-out']")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account/sign-in?**")
    assert "You are signed out" in await page.content()
    await page.fill("#f-account-email", email)
    await page.fill("#f-account-password", STRONG_PASSWORD)
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account?**")

    # A complaint sent while signed in.
    await page.goto(
        "/submit/form?kind=complaint&category=general&privacy_act_acknowledged=1&lang=en"
    )
    await page.select_option("#f-path-topic", index=1)
    for selector, text in {
        "#f-contact-email": email,
        "#f-contact-first_name": "Ana",
        "#f-contact-last_name": "Ruiz",
        "#f-contact-city": "El Paso",
        "#f-contact-state_province": "Texas",
        "#f-contact-postal_code": "79901",
        "#f-contact-country": "United States",
        "#f-contact-phone": "915 555 0100",
        "#f-incident-narrative": "The website kept losing my application at the last step.",
    }.items():
        await page.fill(selector, text)
    await page.click("label[for=f-path-accuracy_certified]")
    await page.click("form button[type=submit]")
    await page.wait_for_url("**/submit/confirmation/**")
    sent = (await page.inner_text("#control-number")).strip()
    await page.click("header a[href^='/account?']")
    await page.wait_for_url("**/account?**")
    assert sent in await page.inner_text("#cases")

    # A case staff took by phone, with another email on file.
    on_file = unique_email("caller")
    async with httpx.AsyncClient(base_url=intake.url) as api:
        entered = await api.post(
            "/api/v1/staff/submissions",
            json=phone_entry(on_file),
            headers={"Authorization": "Bearer dev-staff-token"},
        )
    assert entered.status_code == 201, entered.text
    phoned = entered.json()["control_number"]
    await page.click("main a[href^='/account/attach']")
    await page.fill("#f-account-control_number", phoned)
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account/attach/code?**")
    issued = await latest_code(intake.sessions, "attach_case", on_file)
    await page.fill("#f-account-code", issued.code)
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account?**")
    assert "The case is now in your account." in await page.content()
    listed = await page.inner_text("#cases")
    assert sent in listed
    assert phoned in listed
    await assert_accessible(page)

    await page.click("main a[href^='/account/sign-out']")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/account/sign-in?**")
    assert await page.locator("header a[href='/account/sign-in?lang=en']").count() == 1
    assert await page.locator("header a[href='/account?lang=en']").count() == 0
    await page.goto("/account")
    assert "/account/sign-in" in page.url
