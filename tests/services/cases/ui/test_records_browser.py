"""The records officer's pages in Debian's Chromium with axe-core: the records page with a due
purge, a hold and a certificate, the certificate page, an empty 90-day window, and a closed
case's retention section with its hold form and errors."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.models import Case
from ombuds_cases.retention import holds, schedule
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.staff.policy import Role
from ombuds_devstack.processes import free_port
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import IssueDeletionCertificate
from support.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible

from ..conftest import OpenCase
from .conftest import Seeded, SeedStaff, unreachable_platform

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, Page, async_playwright

SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('records-browser') / 'cases.db'}"


@pytest.fixture(scope="module")
async def base_url(migrated_url: str) -> AsyncIterator[str]:
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


async def signed_in_page(browser: "Browser", base_url: str, staffer: Seeded) -> "Page":
    context = await browser.new_context(base_url=base_url, locale="en-US")
    page = await context.new_page()
    await page.goto("/staff/sign-in")
    await page.fill("#sign-in-email", staffer.email)
    await page.fill("#sign-in-password", staffer.password)
    await page.fill("#sign-in-code", staffer.code())
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/staff/cases")
    return page


async def closed(sessions: SessionFactory, open_case: OpenCase, purge_in: timedelta) -> str:
    number = await open_case()
    due = datetime.now(UTC) + purge_in
    closed_at = due.replace(year=due.year - 5)
    async with UnitOfWork(sessions) as uow:
        case = await uow.session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        case.status, case.closed_at = "closed", closed_at
        await schedule.follow_signal(uow.session, number, CLOSE_CASE_SIGNAL, closed_at)
        await uow.commit()
    return number


async def test_the_records_pages_are_accessible_full_and_empty(
    browser: "Browser",
    base_url: str,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: SessionFactory,
) -> None:
    page = await signed_in_page(browser, base_url, await seed_staff(Role.RECORDS_OFFICER))
    await page.goto("/staff/records?window=90")
    assert await page.locator("#no-purges-due").is_visible()
    assert await page.locator("#no-certificates").is_visible()
    await assert_accessible(page)

    due = await closed(session_factory, open_case, timedelta(days=5))
    held = await closed(session_factory, open_case, timedelta(days=15))
    purged = await closed(session_factory, open_case, timedelta(days=-1))
    async with UnitOfWork(session_factory) as uow:
        await holds.place(uow.session, held, "Doe v. Agency", "records@agency.example.gov")
        await uow.commit()
    result = await RetentionActivities(session_factory).issue_deletion_certificate(
        IssueDeletionCertificate(
            control_number=purged, manifests={"cases": {"cases": 1}, "intake": {"files": 2}}
        )
    )

    await page.click("a[href='/staff/records']")
    assert due in await page.inner_text("#due-purges")
    assert "Doe v. Agency" in await page.inner_text("#standing-holds")
    await assert_accessible(page)
    await page.click(f"a[href='/staff/records/certificates/{result.certificate_id}']")
    assert "files" in await page.inner_text("#stores")
    await assert_accessible(page)

    await page.goto(f"/staff/cases/{due}")
    assert "Purge due" in await page.inner_text("#retention")
    await page.click("form[action$='/actions/hold'] button[type=submit]")
    await page.wait_for_load_state()
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.fill("#hold-reason", "audit in progress")
    await page.click("form[action$='/actions/hold'] button[type=submit]")
    await page.wait_for_load_state()
    assert "Legal hold: audit in progress" in await page.inner_text("#retention")
    await assert_accessible(page)
