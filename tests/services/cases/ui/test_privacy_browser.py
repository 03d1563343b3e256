"""The privacy officer's pages in Debian's Chromium: a request recorded (after an error),
the person found and selected, a redaction marked, the release recorded, an amendment page;
axe-core scans every page on the way."""

import uuid

import pytest

from ombuds_cases.staff.policy import Role
from support.browser import CHROMIUM, assert_accessible

from ..conftest import OpenCase
from .conftest import SeedStaff

# The server, database and browser of the staff UI's own browser test, reused.
from .test_browser import base_url, browser, database_url, new_page, sign_in  # noqa: F401

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run `make browsers`"
)

if CHROMIUM.exists():
    from playwright.async_api import Browser


async def test_a_privacy_officer_answers_a_request_on_accessible_pages(
    browser: "Browser",  # noqa: F811
    base_url: str,  # noqa: F811
    seed_staff: SeedStaff,
    open_case: OpenCase,
) -> None:
    email = f"rosa.{uuid.uuid4().hex[:8]}@example.org"
    number = await open_case(contact={"first_name": "Rosa", "last_name": "Ortiz", "email": email})
    page = await new_page(browser, base_url)
    await sign_in(page, await seed_staff(Role.PRIVACY_OFFICER))
    await page.goto("/staff/privacy")
    await assert_accessible(page)
    await page.click("#new-request-heading ~ form button[type=submit]")
    assert await page.locator("#error-summary").is_visible()
    await assert_accessible(page)
    await page.select_option("#request-kind", "privacy_act")
    await page.fill("#request-requester-name", "Rosa Ortiz")
    await page.fill("#request-requester-address", "1 Main Street, El Paso, TX 79901")
    await page.fill("#request-identity-verification", "Notarised statement")
    await page.fill("#request-description", "Everything about me.")
    await page.click("#new-request-heading ~ form button[type=submit]")
    await page.wait_for_url("**/staff/privacy/requests/*")
    await assert_accessible(page)

    await page.fill("#search-email", email)
    await page.click("#search-heading ~ form button[type=submit]")
    await page.click(f"label[for='pick-{number}']")  # USWDS styles the label, not the box
    assert await page.is_checked(f"#pick-{number}")
    await assert_accessible(page)
    await page.click("#select-cases ~ button[type=submit]")
    await page.wait_for_url("**done=selected**")
    await page.select_option("#redaction-control-number", number)
    await page.fill("#redaction-target", "narrative")
    await page.fill("#redaction-span", "six hours")
    await page.fill("#redaction-reason", "third party")
    await page.click("form[action$='/redactions'] button[type=submit]")
    await page.wait_for_url("**done=redacted**")
    await page.select_option("#release-method", "mail")
    await page.click("form[action$='/release'] button[type=submit]")
    await page.wait_for_url("**done=released**")
    assert "SHA-256" in await page.inner_text("#export-heading ~ ul:last-of-type")
    await assert_accessible(page)

    await page.goto("/staff/privacy/amendments")
    await assert_accessible(page)
