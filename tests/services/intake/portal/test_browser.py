"""The portal in Debian's Chromium, driven by Playwright: axe-core finds no violation on any
page, and people can send a submission in English (keyboard only) and in Spanish."""

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from ombuds_devstack.processes import free_port
from ombuds_intake.config import Settings
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.control_numbers import parse_control_number
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support.infra import Infra

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[3] / "support" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATEGORIES = list(load_definition().categories)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, Page, async_playwright


@pytest.fixture(scope="module")
async def base_url(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Intake on a free port, in a thread, on its own SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('portal-browser') / 'intake.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = Settings(
        database_url=url,
        platform=infra.isolated_platform(),
        # Playwright types faster than anyone; the bot check's timing has its own tests.
        forms=FormSettings(min_fill_seconds=0),
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


@pytest.fixture
async def page(browser: "Browser", base_url: str) -> AsyncIterator["Page"]:
    context = await browser.new_context(base_url=base_url, locale="en-US")
    opened = await context.new_page()
    yield opened
    await context.close()


async def assert_accessible(page: "Page") -> None:
    """axe-core (vendored, offline) finds no violation on the page as it stands."""
    await page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = await page.evaluate("async () => await axe.run(document)")
    violations = results["violations"]
    for violation in violations:
        print(
            f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']}\n"
            + "\n".join(
                f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]
            )
        )
    assert violations == [], [v["id"] for v in violations]
    assert results["passes"], "axe ran no check at all"


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_fixed_pages_have_no_axe_violations(page: "Page", lang: str) -> None:
    for path in ("/", "/submit", "/status"):
        await page.goto(f"{path}?lang={lang}")
        assert await page.get_attribute("html", "lang") == lang
        await assert_accessible(page)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("category", CATEGORIES)
async def test_each_categorys_form_has_no_axe_violations(
    page: "Page", category: str, lang: str
) -> None:
    await page.goto(
        f"/submit/form?kind=complaint&category={category}&privacy_act_acknowledged=1&lang={lang}"
    )
    await assert_accessible(page)


async def test_error_states_have_no_axe_violations(page: "Page") -> None:
    await page.goto("/submit?lang=en")
    await page.click("button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.goto("/submit/form?kind=complaint&category=trade&privacy_act_acknowledged=1&lang=es")
    await page.fill("#f-contact-email", "not-an-email")
    await page.click("button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    assert (await page.title()).startswith("Error:")
    await assert_accessible(page)
    # Each link in the summary leads to its field.
    link = page.locator("#error-summary a").first
    target = (await link.get_attribute("href") or "")[1:]
    await link.click()
    assert await page.evaluate("location.hash") == f"#{target}"


async def test_status_pages_have_no_axe_violations(page: "Page") -> None:
    await page.goto("/status?lang=en")
    await page.fill("#f-status-control_number", "OMB-00000-00000-1")
    await page.fill("#f-status-email", "nobody@example.org")
    await page.click("button[type=submit]")
    assert "check the number" in await page.inner_text("#error-summary")
    await assert_accessible(page)


async def tab_to(page: "Page", selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, as someone without a mouse would."""
    for _ in range(limit):
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_question_sent_in_english_with_the_keyboard_only(page: "Page") -> None:
    await page.goto("/?lang=en")
    await tab_to(page, "a.usa-skipnav")
    await tab_to(page, "main a.usa-button")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/submit?lang=en")
    await tab_to(page, "input[name=kind]")
    await page.keyboard.press("ArrowDown")  # compliment -> question
    await tab_to(page, "input[name=category]")
    for _ in range(4):
        await page.keyboard.press("ArrowDown")  # to general
    await tab_to(page, "#privacy_act_acknowledged")
    await page.keyboard.press("Space")
    await tab_to(page, "form button[type=submit]")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/submit/form?**")
    assert "kind=question" in page.url
    assert "category=general" in page.url
    await tab_to(page, "#f-path-topic")
    await page.keyboard.press("ArrowDown")
    answers = {
        "#f-contact-email": "keyboard.user@example.org",
        "#f-contact-first_name": "Ana",
        "#f-contact-last_name": "Ruiz",
        "#f-contact-city": "El Paso",
        "#f-contact-state_province": "Texas",
        "#f-contact-postal_code": "79901",
        "#f-contact-country": "United States",
        "#f-contact-phone": "915 555 0100",
        "#f-incident-narrative": "How long does an I-94 record take to appear online?",
    }
    for selector, text in answers.items():
        await tab_to(page, selector)
        await page.keyboard.type(text)
    await tab_to(page, "#f-path-accuracy_certified")
    await page.keyboard.press("Space")
    await tab_to(page, "form button[type=submit]")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/submit/confirmation/**")
    number = (await page.inner_text("#control-number")).strip()
    assert parse_control_number(number) == number
    assert "on its way to your email" in await page.content()
    await assert_accessible(page)

    await page.goto("/status?lang=en")
    await page.fill("#f-status-control_number", number)
    await page.fill("#f-status-email", "keyboard.user@example.org")
    await page.click("form button[type=submit]")
    assert await page.inner_text("#status-value") == "Received"
    await assert_accessible(page)


async def test_a_trade_complaint_sent_in_spanish(page: "Page", tmp_path: Path) -> None:
    await page.goto("/?lang=es")
    await page.click("main a.usa-button")
    await page.click("label[for=kind-complaint]")
    await page.click("label[for=category-trade]")
    await page.click("label[for=privacy_act_acknowledged]")
    await page.click("form button[type=submit]")
    assert await page.get_attribute("html", "lang") == "es"
    screenshots = Path(os.environ.get("OMBUDS_SCREENSHOT_DIR", tmp_path))
    await page.screenshot(path=str(screenshots / "portal-form-es.png"), full_page=True)
    fill = {
        "#f-contact-email": "importadora@example.org",
        "#f-contact-first_name": "Lucía",
        "#f-contact-last_name": "Fernández",
        "#f-contact-city": "Laredo",
        "#f-contact-state_province": "Texas",
        "#f-contact-postal_code": "78040",
        "#f-contact-country": "Estados Unidos",
        "#f-contact-phone": "956 555 0100",
        "#f-incident-port_of_entry": "Laredo",
        "#f-incident-incident_date": "2026-01-15",
        "#f-incident-narrative": "La carga lleva tres semanas retenida sin explicación.",
        "#f-trade-entry_type": "Consumo",
        "#f-trade-cargo_location": "Almacén 4",
    }
    for selector, text in fill.items():
        await page.fill(selector, text)
    await page.select_option("#f-trade-problem_type", "release_delay")
    await page.click("label[for=f-path-accuracy_certified]")
    await page.click("form button[type=submit]")
    await page.wait_for_url("**/submit/confirmation/**")
    assert "Envío recibido" in await page.content()
    number = (await page.inner_text("#control-number")).strip()
    assert parse_control_number(number) == number
    await assert_accessible(page)


async def test_an_anonymous_tip_confirmation_says_no_response(page: "Page") -> None:
    await page.goto(
        "/submit/form?kind=tip&category=border_patrol&anonymous=1&privacy_act_acknowledged=1"
    )
    assert await page.locator("#f-contact-email").count() == 0
    await page.fill("#f-incident-port_of_entry", "Checkpoint on I-35")
    await page.fill("#f-incident-incident_date", "2026-01-10")
    await page.fill(
        "#f-incident-narrative", "Something I saw at the checkpoint that you should know."
    )
    await page.click("label[for=f-path-accuracy_certified]")
    await page.click("form button[type=submit]")
    await page.wait_for_url("**/submit/confirmation/**")
    assert "you will get no response" in await page.content()
    await assert_accessible(page)
