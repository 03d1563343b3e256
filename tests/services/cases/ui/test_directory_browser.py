"""The directory page in Chromium against both services on real ports: an administrator adds
an agency (after an error summary), edits it and issues its API key; axe-core scans each
state of the page, and the page when referrals is down."""

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from fastapi import FastAPI

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff.policy import Role
from ombuds_devstack.processes import free_port
from ombuds_referrals.config import Settings as ReferralsSettings
from ombuds_referrals.main import create_app as create_referrals_app
from ombuds_referrals.migrate import MIGRATIONS as REFERRALS_MIGRATIONS
from ombuds_shared.migrations import upgrade_to_head
from support.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible

from .conftest import SeedStaff, unreachable_platform
from .test_browser import new_page, sign_in

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, async_playwright


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only: the page tests cover both dialects; this one is about the browser."""
    return f"sqlite:///{tmp_path_factory.mktemp('directory-browser') / 'cases.db'}"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free port, in a thread, with its lifespan."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)


@pytest.fixture(scope="module")
async def referrals_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    database = f"sqlite:///{tmp_path_factory.mktemp('directory-referrals') / 'referrals.db'}"
    await asyncio.to_thread(upgrade_to_head, REFERRALS_MIGRATIONS, database)
    settings = ReferralsSettings(
        database_url=database, run_worker=False, platform=unreachable_platform()
    )
    async with serving(create_referrals_app(settings)) as url:
        yield url


def cases_app(migrated_url: str, referrals_url: str) -> FastAPI:
    settings = Settings(
        database_url=migrated_url,
        run_worker=False,
        platform=unreachable_platform(),
        referrals_url=referrals_url,
    )
    return create_app(settings)


@pytest.fixture(scope="module")
async def base_url(migrated_url: str, referrals_url: str) -> AsyncIterator[str]:
    async with serving(cases_app(migrated_url, referrals_url)) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator["Browser"]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def test_an_administrator_adds_edits_and_keys_an_agency_on_an_accessible_page(
    browser: "Browser", base_url: str, seed_staff: SeedStaff
) -> None:
    page = await new_page(browser, base_url)
    await sign_in(page, await seed_staff(Role.ADMINISTRATOR))
    await page.click("nav a[href='/staff/directory']")
    await page.wait_for_url("**/staff/directory")
    assert "Civil Rights and Civil Liberties" in await page.inner_text("main table")
    await assert_accessible(page)

    add = "#new-heading ~ form button[type=submit]"
    await page.click(add)  # nothing filled in: the summary names the fields
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)

    entry_id = f"agency-{random.randrange(10**8)}"
    await page.fill("#new-id", entry_id)
    await page.fill("#new-name", "Browser Test Agency")
    await page.select_option("#new-kind", "outside_agency")
    await page.fill("#new-postal-address", "1 Test Street, Washington, DC 20001")
    await page.click("label[for='new-kafka-enabled']")  # USWDS styles the label, not the box
    assert await page.is_checked("#new-kafka-enabled")
    await page.fill("#new-acknowledgement-business-days", "3")
    await page.fill("#new-response-business-days", "20")
    await page.click(add)
    await page.wait_for_url("**/staff/directory?done=added")
    assert "Browser Test Agency" in await page.inner_text(f"#entry-{entry_id}")

    await page.click(f"#entry-{entry_id} a")
    await page.fill("#edit-response-business-days", "25")
    await assert_accessible(page)
    await page.click("#edit-heading ~ form button[type=submit]")
    await page.wait_for_url("**/staff/directory?done=saved")
    assert "25 business days" in await page.inner_text(f"#entry-{entry_id}")

    await page.click(f"#entry-{entry_id} form[action$='/api-key'] button")
    await page.wait_for_selector("#issued-api-key")
    assert (await page.inner_text("#issued-api-key")).startswith("omb_")
    await assert_accessible(page)


async def test_the_page_when_referrals_is_down_is_accessible(
    browser: "Browser", migrated_url: str, seed_staff: SeedStaff
) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    async with serving(cases_app(migrated_url, nothing_listens)) as url:
        page = await new_page(browser, url)
        await sign_in(page, await seed_staff(Role.ADMINISTRATOR))
        await page.goto("/staff/directory")
        assert "The referrals service is unavailable" in await page.inner_text("main")
        await assert_accessible(page)
