"""Self-service in Chromium, end to end: intake and notifications on the real broker, the code
read from the SMTP sink's Maildir; supplement, correct and withdraw; axe-core on every page."""

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ombuds_devstack.processes import free_port
from ombuds_devstack.smtp_sink import read_messages
from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_notifications.config import Settings as NotificationSettings
from ombuds_notifications.main import create_app as create_notifications_app
from ombuds_notifications.migrate import MIGRATIONS as NOTIFICATION_MIGRATIONS
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
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
EXAMPLES = Path(__file__).parents[4] / "examples" / "submissions"
MAIL_DEADLINE_SECONDS = 60

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser, Page, async_playwright


@pytest.fixture(scope="module")
async def base_url(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Intake on a free port (in a thread) and notifications in process, sharing one broker."""
    folder = tmp_path_factory.mktemp("self-service-browser")
    platform = infra.isolated_platform()
    intake_url = f"sqlite:///{folder / 'intake.db'}"
    notifications_url = f"sqlite:///{folder / 'notifications.db'}"
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, intake_url)
    await asyncio.to_thread(upgrade_to_head, NOTIFICATION_MIGRATIONS, notifications_url)
    port = free_port()
    settings = Settings(
        database_url=intake_url,
        platform=platform,
        forms=FormSettings(min_fill_seconds=0),
        attachments_dir=str(folder / "attachments"),
        public_url=f"http://127.0.0.1:{port}",
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    notifications = create_notifications_app(
        NotificationSettings(
            database_url=notifications_url,
            smtp_url=infra.smtp_url,
            run_worker=False,
            platform=platform,
        )
    )
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "intake did not start"
        await asyncio.sleep(0.05)
    try:
        async with notifications.router.lifespan_context(notifications):
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
        print(f"{page.url}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            print(f"    {node['target']}: {node['failureSummary']}")
    assert violations == [], [v["id"] for v in violations]
    assert results["passes"], "axe ran no check at all"


async def submit(base_url: str) -> tuple[str, str]:
    body = json.loads((EXAMPLES / "complaint.json").read_text())
    email = f"browser+{uuid.uuid4().hex[:8]}@example.org"
    body["contact"]["email"] = email
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/api/v1/submissions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["control_number"]), email


async def emailed(maildir: Path, address: str) -> str:
    """The text of the code email sent to `address`, once the SMTP sink has it."""
    deadline = time.monotonic() + MAIL_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for mail in read_messages(maildir):
            if (
                address in str(mail["To"])
                and "Subject" in mail
                and "code" in str(mail["Subject"]).replace("código", "code")
            ):
                body = mail.get_body(preferencelist=("plain",))
                assert body is not None
                return str(body.get_content())
        await asyncio.sleep(0.2)
    raise AssertionError(f"no code email reached {address} in {MAIL_DEADLINE_SECONDS}s")


async def request_code(page: "Page", number: str, email: str, lang: str) -> None:
    await page.goto(f"/manage?lang={lang}")
    assert await page.get_attribute("html", "lang") == lang
    await assert_accessible(page)
    await page.fill("#f-manage-control_number", number)
    await page.fill("#f-manage-email", email)
    await page.click("form button[type=submit]")
    await page.wait_for_url("**/manage/code?**")


async def test_request_code_supplement_correct_withdraw_in_english(
    page: "Page", base_url: str, infra: Infra
) -> None:
    number, email = await submit(base_url)
    await request_code(page, number, email, "en")
    await assert_accessible(page)
    # A wrong code first: the error summary, and still no axe violation.
    text = await emailed(infra.maildir, email)
    code = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE)
    assert code is not None, text
    await page.fill("#f-manage-code", "000000" if code.group(1) != "000000" else "111111")
    await page.click("form button[type=submit]")
    assert "4 more tries" in await page.inner_text("#error-summary")
    await assert_accessible(page)
    await page.fill("#f-manage-code", code.group(1))
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"**/manage/{number}?lang=en")
    await assert_accessible(page)

    await page.click("text=Add information or files")
    await assert_accessible(page)
    await page.fill("#f-supplement-text", "I found the receipt; it is attached.")
    await page.set_input_files(
        "#f-supplement-file",
        files={"name": "receipt.png", "mimeType": "image/png", "buffer": sample_files.png()},
    )
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"**/manage/{number}?done=supplement**")
    assert "Files: 1" in await page.inner_text("#supplements")

    await page.click("text=Correct something")
    await page.click("form button[type=submit]")  # nothing chosen: an error summary
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.select_option("#f-correct-field", "contact.city")
    await page.fill("#f-correct-value", "San Diego")
    await page.fill("#f-reason", "I moved.")
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"**/manage/{number}?done=correct**")
    assert "San Diego" in await page.inner_text("#amendments")

    await page.click("text=Withdraw the submission")
    await assert_accessible(page)
    await page.click("label[for=f-withdraw-confirm]")  # USWDS draws the box on the label
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"**/manage/{number}?done=withdraw**")
    assert await page.inner_text("#status-value") == "Withdrawn"
    assert await page.locator("#finished").is_visible()
    await assert_accessible(page)


async def test_emailed_link_and_every_page_in_spanish(
    page: "Page", base_url: str, infra: Infra
) -> None:
    number, email = await submit(base_url)
    await request_code(page, number, email, "es")
    await page.fill("#f-manage-code", "")
    await page.click("form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    text = await emailed(infra.maildir, email)
    link = re.search(r"(http://\S+/manage/verify/\S+)", text)
    assert link is not None, text
    await page.goto(link.group(1) + "&lang=es")
    assert await page.get_attribute("html", "lang") == "es"
    await assert_accessible(page)
    await page.click("#link-continue")
    await page.wait_for_url(f"**/manage/{number}?lang=es")
    assert await page.get_attribute("html", "lang") == "es"
    await assert_accessible(page)
    for action in ("supplement", "correct", "withdraw"):
        await page.goto(f"/manage/{number}/{action}?lang=es")
        assert await page.get_attribute("html", "lang") == "es"
        await assert_accessible(page)
        await page.click("form button[type=submit]")  # empty: each shows its error summary
        assert await page.locator("#error-summary").is_visible()
        await assert_accessible(page)
    # The link worked once only.
    await page.goto(link.group(1))
    await page.click("#link-continue")
    assert await page.locator("#link-failed").is_visible()
    await assert_accessible(page)
