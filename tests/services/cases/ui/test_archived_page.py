"""The case page of an archived case says so, shows nothing of the person and offers no action."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from ombuds_cases.activities import CaseActivities
from ombuds_cases.staff.policy import Role
from ombuds_shared.retention_contracts import ArchiveCase

from ..retention.seeding import ZOFIA, seed_case
from .conftest import SeedStaff, SignIn


async def test_an_archived_case_page_shows_the_purge_and_no_personal_data(
    client: httpx.AsyncClient,
    signed_in: SignIn,
    seed_staff: SeedStaff,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await seed_case(client, session_factory, ZOFIA)
    browser = await signed_in(await seed_staff(Role.SUPERVISOR))
    before = (await browser.get(f"/staff/cases/{number}")).text
    assert ZOFIA.narrative.replace("'", "&#39;") in before
    assert f"/staff/cases/{number}/actions/note" in before

    await ActivityEnvironment().run(
        CaseActivities(session_factory).archive_case, ArchiveCase(control_number=number)
    )
    page = await browser.get(f"/staff/cases/{number}")

    assert page.status_code == 200
    assert 'id="archived"' in page.text
    assert "personal data about this case was purged" in page.text
    assert "/actions/" not in page.text
    shown = page.text.casefold()
    for needle in ZOFIA.needles():
        assert needle.casefold() not in shown, needle
