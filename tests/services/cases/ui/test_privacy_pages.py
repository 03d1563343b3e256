"""The privacy officer's pages: the request list (empty state, paging), a request recorded,
the person searched for and their cases selected, a redaction marked, the export downloaded
and the release recorded; amendment requests recorded and decided; other roles refused."""

import asyncio
import re
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.disclosures.models import Disclosure
from ombuds_cases.staff.policy import Office, Role

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, csrf_of, post_form

REQUEST = {
    "kind": "foia",
    "requester_name": "Ana Pérez",
    "requester_address": "12 Calle Uno, Chula Vista, CA 91910",
    "identity_verification": "DHS Form 590",
    "description": "All records about me.",
    "received_on": "2026-11-20",
}


async def test_a_request_from_the_empty_list_to_its_release(
    seed_staff: SeedStaff,
    signed_in: SignIn,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    officer = await signed_in(await seed_staff(Role.PRIVACY_OFFICER))
    listing = await officer.get("/staff/privacy")
    assert listing.status_code == 200
    assert 'id="empty-requests"' in listing.text
    assert 'href="/staff/privacy"' in listing.text  # in the navigation

    email = f"ana.{uuid.uuid4().hex[:8]}@example.org"
    mine = await open_case(contact={"first_name": "Ana", "last_name": "Pérez", "email": email})
    theirs = await open_case(contact={"first_name": "Ana", "last_name": "Perez", "email": "x@y.z"})
    created = await post_form(officer, "/staff/privacy", "/staff/privacy/requests", REQUEST)
    assert created.status_code == 303, created.text
    page_url = created.headers["location"].split("#")[0].split("?")[0]
    request_id = int(page_url.rsplit("/", 1)[1])

    found = await post_form(officer, page_url, f"{page_url}/search", {"email": email.upper()})
    assert found.status_code == 200
    assert f'value="{mine}"' in found.text
    assert theirs not in found.text
    selected = await officer.post(
        f"{page_url}/select",
        data={"control_numbers": mine, "csrf_token": csrf_of(found.text)},
    )
    assert selected.status_code == 303, selected.text

    redaction = {
        "control_number": mine,
        "target": "narrative",
        "span": "six hours",
        "reason": "third party",
    }
    marked = await post_form(officer, page_url, f"{page_url}/redactions", redaction)
    assert marked.status_code == 303, marked.text
    shown = await officer.get(page_url)
    # The redaction table names what is withheld, where and why.
    assert "<td>six hours</td>" in shown.text
    assert "<td>third party</td>" in shown.text

    pdf = await officer.get(f"/api/v1/privacy/requests/{request_id}/export.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "export.pdf"
    path.write_bytes(pdf.content)
    printed = await asyncio.to_thread(
        subprocess.run, ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    )
    assert "[REDACTED: third party]" in printed.stdout
    assert "six hours" not in printed.stdout

    released = await post_form(officer, page_url, f"{page_url}/release", {"method": "email"})
    assert released.status_code == 303, released.text
    after = await officer.get(page_url)
    assert "SHA-256" in after.text
    async with session_factory() as session:
        sources = (
            await session.scalars(
                select(Disclosure.source).where(Disclosure.control_number == mine)
            )
        ).all()
    assert list(sources) == ["release"]
    listing = await officer.get("/staff/privacy")
    assert f'href="/staff/privacy/requests/{request_id}"' in listing.text
    assert 'id="empty-requests"' not in listing.text


async def test_form_errors_name_each_field_and_keep_the_values(
    seed_staff: SeedStaff, signed_in: SignIn
) -> None:
    officer = await signed_in(await seed_staff(Role.PRIVACY_OFFICER))
    bad = {**REQUEST, "kind": "", "identity_verification": "", "received_on": "2999-01-01"}
    refused = await post_form(officer, "/staff/privacy", "/staff/privacy/requests", bad)
    assert refused.status_code == 422
    for anchor in ("request-kind", "request-identity-verification", "request-received-on"):
        assert f'href="#{anchor}"' in refused.text
    assert 'value="Ana Pérez"' in refused.text
    created = await post_form(officer, "/staff/privacy", "/staff/privacy/requests", REQUEST)
    page_url = created.headers["location"].split("?")[0]
    searched = await post_form(officer, page_url, f"{page_url}/search", {"control_number": "OMB-1"})
    assert searched.status_code == 422
    assert 'href="#search-control-number"' in searched.text
    empty = await post_form(officer, page_url, f"{page_url}/search", {})
    assert empty.status_code == 422
    assert 'href="#search-name"' in empty.text
    missing = await officer.get("/staff/privacy/requests/999999")
    assert missing.status_code == 404
    assert "No privacy request has id 999999." in missing.text


async def test_an_amendment_request_is_recorded_and_denied_on_its_page(
    seed_staff: SeedStaff, signed_in: SignIn, open_case: OpenCase
) -> None:
    officer = await signed_in(await seed_staff(Role.PRIVACY_OFFICER))
    number = await open_case()
    empty = await officer.get("/staff/privacy/amendments")
    assert empty.status_code == 200
    amendment = {
        "control_number": number,
        "requester_name": "Ana Pérez",
        "field": "incident.narrative",
        "requested_value": "I waited one hour.",
        "justification": "The record overstates the wait.",
        "received_on": "2026-11-20",
    }
    url = "/staff/privacy/amendments"
    recorded = await post_form(officer, url, url, amendment)
    assert recorded.status_code == 303, recorded.text
    page = await officer.get(url)
    [amendment_id] = re.findall(
        rf'id="amendment-(\d+)"[^>]*>\s*<div[^>]*>\s*<h3[^>]*>[^<]*{re.escape("incident.narrative")}[^<]*<a[^>]*>{number}',
        page.text,
    )
    decided = await post_form(
        officer,
        url,
        f"{url}/{amendment_id}/decision",
        {"decision": "deny", "reason": "The port's log shows six hours."},
    )
    assert decided.status_code == 303, decided.text
    shown = await officer.get(url)
    assert "statement of your reasons" in shown.text
    assert "The port&#39;s log shows six hours." in shown.text


async def test_other_roles_are_refused_the_pages(seed_staff: SeedStaff, signed_in: SignIn) -> None:
    for role, office in [
        (Role.CASE_OFFICER, Office.FIELD_OPERATIONS),
        (Role.RECORDS_OFFICER, None),
        (Role.ADMINISTRATOR, None),
    ]:
        browser = await signed_in(await seed_staff(role, office))
        for path in ("/staff/privacy", "/staff/privacy/amendments"):
            refused = await browser.get(path)
            assert refused.status_code == 403, (role, path)
        home = await browser.get("/staff/password")
        assert 'href="/staff/privacy"' not in home.text
