"""Sign in with OpenID Connect in Debian's Chromium: the real provider on another site
(`localhost`) than the cases service (`127.0.0.1`), so the browser's cross-site cookie rules
apply as they would in production, and the strict session cookie must still arrive."""

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff.policy import Office, Role
from ombuds_devstack.processes import free_port
from support.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible
from support.oidc_idp import Person, ProviderUnderTest, running_idp

from .conftest import SeedStaff, unreachable_platform

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import async_playwright


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('staff-oidc-browser') / 'cases.db'}"


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
async def idp(port: int) -> AsyncIterator[ProviderUnderTest]:
    callback = f"http://127.0.0.1:{port}/staff/sign-in/oidc/callback"
    async with running_idp(callback, host="localhost") as provider:
        yield provider


@pytest.fixture(scope="module")
async def base_url(migrated_url: str, port: int, idp: ProviderUnderTest) -> AsyncIterator[str]:
    """The cases service with OIDC on, in a thread, with its lifespan (the audit writer)."""
    settings = Settings.model_validate(
        {
            "database_url": migrated_url,
            "run_worker": False,
            "platform": unreachable_platform(),
            "staff_oidc_issuer": idp.issuer,
            "staff_oidc_client_id": idp.client_id,
            "staff_oidc_client_secret": idp.client_secret,
            "staff_oidc_provider_name": "Agency Login",
        }
    )
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


async def test_a_supervisor_signs_in_with_the_provider_and_lands_in_the_queue(
    base_url: str, idp: ProviderUnderTest, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.SUPERVISOR, Office.FIELD_OPERATIONS)
    person = Person(f"idp-{uuid.uuid4().hex[:12]}", staffer.email)
    async with httpx.AsyncClient(base_url=idp.issuer) as directory:
        assert (await directory.post("/test/people", json=person.claims())).status_code == 204

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(base_url=base_url, locale="en-US")
        page = await context.new_page()
        await page.goto("/staff/sign-in")
        await assert_accessible(page)
        await page.click("text=Sign in with Agency Login")
        await page.wait_for_url(f"{idp.issuer}/interaction/**")
        await page.fill("input[name=login]", person.subject)
        await page.fill("input[name=password]", "any")
        await page.click("button[type=submit]")
        await page.wait_for_selector("text=Authorize")
        await page.click("button[type=submit]")
        await page.wait_for_url("**/staff/cases", timeout=15_000)

        assert await page.is_visible(f"text={staffer.name}")
        cookies = {cookie["name"]: cookie for cookie in await context.cookies(base_url)}
        assert cookies["ombuds_staff_session"]["sameSite"] == "Strict"
        await browser.close()
