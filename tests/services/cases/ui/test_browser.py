"""The staff UI in Debian's Chromium, driven by Playwright: a supervisor signs in, filters the
queue, opens a case, adds a note, assigns, closes and reopens it; an auditor finds those reads
and changes; an administrator designates an account. axe-core scans every page on the way."""

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import uvicorn

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff.policy import Role
from ombuds_devstack.processes import free_port
from support.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible

from ..conftest import OpenCase
from .conftest import Seeded, SeedStaff, unreachable_platform

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, Page, async_playwright


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite database for the server and the test: the pages, not the dialect, are tested
    here (the page tests run on both SQLite and PostgreSQL)."""
    return f"sqlite:///{tmp_path_factory.mktemp('staff-ui-browser') / 'cases.db'}"


@pytest.fixture(scope="module")
async def base_url(migrated_url: str) -> AsyncIterator[str]:
    """The cases service on a free port, in a thread, with its lifespan (the audit writer)."""
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=unreachable_platform()
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the cases service did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
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


async def new_page(browser: "Browser", base_url: str) -> "Page":
    context = await browser.new_context(base_url=base_url, locale="en-US")
    return await context.new_page()


async def sign_in(page: "Page", staffer: Seeded) -> None:
    await page.goto("/staff/sign-in")
    await assert_accessible(page)
    await page.fill("#sign-in-email", staffer.email)
    await page.fill("#sign-in-password", staffer.password)
    await page.fill("#sign-in-code", staffer.code())
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/staff/cases")


async def submit(page: "Page", action: str) -> None:
    await page.click(f"form[action$='/actions/{action}'] button[type=submit]")
    await page.wait_for_load_state()


async def test_a_supervisor_works_a_case_and_an_auditor_sees_it(
    browser: "Browser", base_url: str, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    day = date(1980, 1, 1) + timedelta(days=random.randrange(3_000))
    received = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    number = await open_case(kind="tip", channel="phone", received_at=received)
    other = await open_case(kind="complaint", received_at=received)
    supervisor = await seed_staff(Role.SUPERVISOR)
    page = await new_page(browser, base_url)
    await sign_in(page, supervisor)
    await assert_accessible(page)

    await page.select_option("#filter-kind", "tip")
    await page.fill("#filter-received-from", day.isoformat())
    await page.fill("#filter-received-to", day.isoformat())
    await page.click("form[action='/staff/cases'] button[type=submit]")
    await page.wait_for_url("**/staff/cases?**")
    table = await page.inner_text("main table")
    assert number in table
    assert other not in table
    await assert_accessible(page)

    await page.click(f"a[href='/staff/cases/{number}']")
    await page.wait_for_url(f"**/staff/cases/{number}")
    assert await page.title() == f"Case {number} | Ombuds staff"
    await assert_accessible(page)

    await submit(page, "note")  # nothing filled in: the error summary names both fields
    assert await page.locator("#error-summary").is_visible()
    assert (await page.title()).startswith("Error:")
    await assert_accessible(page)
    await page.click("#error-summary a >> nth=0")
    assert await page.evaluate("location.hash") == "#note-stage"

    await page.select_option("#note-stage", "review")
    await page.fill("#note-text", "Called the port; the wait was confirmed.")
    await submit(page, "note")
    assert "Done: note saved." in await page.inner_text("main")
    assert "Called the port; the wait was confirmed." in await page.inner_text("main")

    await page.select_option("#assign-office", "trade")
    await page.fill("#assign-assignee", "kim.officer")
    await submit(page, "assign")
    assert "status assigned" in await page.inner_text(".usa-intro")

    await page.fill("#information-request-question", "Which lane were you in?")
    await page.fill("#information-request-due-in-business-days", "10")
    await submit(page, "information-request")
    assert "status awaiting information" in await page.inner_text(".usa-intro")
    requests = await page.inner_text("#information-requests")
    assert "Which lane were you in?" in requests
    # USWDS tags are set in capitals by CSS.
    assert (await page.inner_text("#information-requests .usa-tag")).lower() == "open"
    await assert_accessible(page)

    await page.select_option("#close-disposition", "information_provided")
    await page.fill("#close-reason", "Explained the wait times.")
    await submit(page, "close")
    assert "status closed" in await page.inner_text(".usa-intro")
    await assert_accessible(page)

    await page.fill("#reopen-reason", "The submitter wrote back with new facts.")
    await submit(page, "reopen")
    assert "status triage" in await page.inner_text(".usa-intro")
    assert "The submitter wrote back with new facts." in await page.inner_text("#timeline")

    await page.goto("/staff/password")
    await assert_accessible(page)
    await page.goto("/staff/audit")
    assert "You cannot open this page" in await page.inner_text("main")
    await assert_accessible(page)

    auditor = await seed_staff(Role.PRIVACY_OFFICER)
    audit_page = await new_page(browser, base_url)
    await sign_in(audit_page, auditor)
    await audit_page.click("nav a[href='/staff/audit']")
    await audit_page.fill("#audit-record-id", number)
    await audit_page.fill("#audit-actor", supervisor.email)
    await audit_page.click("main form button[type=submit]")
    await audit_page.wait_for_url("**/staff/audit?**")
    records = await audit_page.inner_text("#audit-records")
    assert "read" in records
    assert "update" in records
    await assert_accessible(audit_page)


async def test_an_administrator_designates_an_account_on_an_accessible_page(
    browser: "Browser", base_url: str, seed_staff: SeedStaff
) -> None:
    page = await new_page(browser, base_url)
    await sign_in(page, await seed_staff(Role.ADMINISTRATOR))
    await page.goto("/staff/accounts")
    await assert_accessible(page)
    await page.click("#new-heading ~ form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.fill("#new-email", f"officer.{random.randrange(10**9)}@agency.example.gov")
    await page.fill("#new-name", "Robin Officer")
    await page.select_option("#new-role", "case_officer")
    await page.select_option("#new-office", "trade")
    await page.fill("#new-expires-on", (date.today() + timedelta(days=60)).isoformat())
    await page.click("#new-heading ~ form button[type=submit]")
    await page.wait_for_selector("#created-password")
    assert "Robin Officer" in await page.inner_text("main table")
    await assert_accessible(page)


async def test_an_empty_queue_is_accessible_and_says_what_to_do(
    browser: "Browser", base_url: str, seed_staff: SeedStaff
) -> None:
    page = await new_page(browser, base_url)
    await sign_in(page, await seed_staff(Role.INTAKE_SPECIALIST))
    await page.goto("/staff/cases?received_from=1970-01-01&received_to=1970-01-01")
    assert "clear every filter" in await page.inner_text("#empty-queue")
    await assert_accessible(page)
