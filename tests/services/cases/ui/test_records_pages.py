"""The records officer's page and the certificate page, and retention on the case page:
counts by state, purges due in 30 or 90 days, holds with who placed them, certificates with
every store cleared; hold forms on a closed case; refused to roles without retention.read."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.models import Case
from ombuds_cases.retention import holds, schedule
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.retention.models import RetentionSchedule
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.contracts import CLOSE_CASE_SIGNAL
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import IssueDeletionCertificate

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, post_form

SessionFactory = async_sessionmaker[AsyncSession]
YEARS = 5


async def closed(sessions: SessionFactory, open_case: OpenCase, purge_in: timedelta) -> str:
    """A case closed so that its purge falls due `purge_in` from now, its run started."""
    number = await open_case()
    due = datetime.now(UTC) + purge_in
    closed_at = due.replace(year=due.year - YEARS)
    async with UnitOfWork(sessions) as uow:
        case = await uow.session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        case.status, case.closed_at = "closed", closed_at
        await schedule.follow_signal(uow.session, number, CLOSE_CASE_SIGNAL, closed_at)
        await uow.commit()
    return number


async def test_the_records_page_shows_due_purges_holds_and_certificates(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: SessionFactory,
) -> None:
    soon = await closed(session_factory, open_case, timedelta(days=10))
    later = await closed(session_factory, open_case, timedelta(days=60))
    far = await closed(session_factory, open_case, timedelta(days=400))
    held = await closed(session_factory, open_case, timedelta(days=20))
    purged = await closed(session_factory, open_case, timedelta(days=-1))
    async with UnitOfWork(session_factory) as uow:
        await holds.place(uow.session, held, "Doe v. Agency", "records.lee@agency.example.gov")
        await uow.commit()
    result = await RetentionActivities(session_factory).issue_deletion_certificate(
        IssueDeletionCertificate(
            control_number=purged,
            manifests={"cases": {"cases": 1}, "intake": {"submissions": 1, "attachments": 2}},
        )
    )
    client = await signed_in(await seed_staff(Role.RECORDS_OFFICER))

    month = await client.get("/staff/records")
    quarter = await client.get("/staff/records?window=90")

    assert month.status_code == 200, month.text
    assert soon in month.text
    assert held in month.text
    assert later not in month.text
    assert later in quarter.text
    assert far not in quarter.text
    assert "Doe v. Agency" in month.text
    assert "records.lee@agency.example.gov" in month.text
    assert f"/staff/records/certificates/{result.certificate_id}" in month.text
    assert 'href="/staff/records"' in month.text  # the nav offers the page
    async with session_factory() as session:
        certified = await session.scalar(
            select(RetentionSchedule.state).where(RetentionSchedule.control_number == purged)
        )
    assert certified == "certified"

    page = await client.get(f"/staff/records/certificates/{result.certificate_id}")
    assert page.status_code == 200
    for store in ("submissions", "attachments", "cases"):
        assert f'class="staff-mono">{store}</td>' in page.text, store
    assert (await client.get("/staff/records/certificates/missing")).status_code == 404


async def test_an_empty_window_says_so_and_a_bad_window_is_named(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.PRIVACY_OFFICER))

    bad = await client.get("/staff/records?window=45")

    assert bad.status_code == 422
    assert 'href="#records-window"' in bad.text
    assert "window:" in bad.text


async def test_the_records_page_pages_through_more_than_a_page_of_due_purges(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: SessionFactory,
) -> None:
    for days in range(26):
        await closed(session_factory, open_case, timedelta(days=-400 + days))  # overdue first
    client = await signed_in(await seed_staff(Role.RECORDS_OFFICER))

    first = await client.get("/staff/records")
    second = await client.get("/staff/records?window=30&page=2")

    assert "Next page" in first.text
    assert "Previous page" in second.text
    assert "(overdue)" in first.text


async def test_roles_without_retention_read_are_refused(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    for role in (Role.CASE_OFFICER, Role.SUPERVISOR, Role.SECURITY_OFFICER):
        client = await signed_in(
            await seed_staff(
                role, None if role == Role.SECURITY_OFFICER else Office.FIELD_OPERATIONS
            )
        )
        page = await client.get("/staff/records")
        assert page.status_code == 403, role
        assert 'href="/staff/records"' not in page.text


async def test_a_closed_case_shows_its_purge_date_and_a_hold_placed_and_lifted_on_its_page(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: SessionFactory,
) -> None:
    number = await closed(session_factory, open_case, timedelta(days=100))
    async with session_factory() as session:
        row = await schedule.schedule_for(session, number)
    assert row is not None
    client: httpx.AsyncClient = await signed_in(await seed_staff(Role.RECORDS_OFFICER))
    page = await client.get(f"/staff/cases/{number}")
    assert f"Purge due <strong>{row.due_at.strftime('%Y-%m-%d %H:%M')} UTC" in page.text
    assert "/actions/lift-hold" not in page.text

    placed = await post_form(
        client,
        f"/staff/cases/{number}",
        f"/staff/cases/{number}/actions/hold",
        {"reason": "FOIA appeal pending"},
    )
    assert placed.status_code == 303, placed.text
    page = await client.get(f"/staff/cases/{number}")
    assert "Legal hold: FOIA appeal pending" in page.text
    assert "held</strong>: it waits until the hold is lifted" in page.text

    lifted = await post_form(
        client,
        f"/staff/cases/{number}",
        f"/staff/cases/{number}/actions/lift-hold",
        {"reason": "appeal decided"},
    )
    assert lifted.status_code == 303
    page = await client.get(f"/staff/cases/{number}")
    assert "Legal hold: FOIA appeal pending" not in page.text
    assert "State: waiting" in page.text


async def test_an_open_case_offers_no_hold_and_shows_no_purge_date(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.RECORDS_OFFICER))

    page = await client.get(f"/staff/cases/{number}")

    assert "/actions/hold" not in page.text
    assert "Purge due" not in page.text
    assert 'id="actions-heading"' not in page.text


async def test_before_the_run_starts_the_page_shows_the_expected_date_and_a_standing_hold(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase, session_factory: SessionFactory
) -> None:
    number = await open_case()
    closed_at = datetime(2031, 6, 1, 9, 30, tzinfo=UTC)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        case.status, case.closed_at = "closed", closed_at
        await holds.place(uow.session, number, "grand jury subpoena", "records@agency.example.gov")
        await uow.commit()
    client = await signed_in(await seed_staff(Role.RECORDS_OFFICER))

    page = await client.get(f"/staff/cases/{number}")

    assert "Purge due <strong>2036-06-01 09:30 UTC</strong>, but <strong>held</strong>" in page.text
    assert "Legal hold: grand jury subpoena" in page.text
    assert "/actions/lift-hold" in page.text
