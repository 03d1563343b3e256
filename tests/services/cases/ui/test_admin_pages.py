"""The auditor's audit search page and the staff-account admin page."""

from datetime import timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff import repository
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow
from support.portal import read_page

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, csrf_of, post_form


async def test_an_auditor_finds_who_read_a_case_and_the_search_is_audited(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    reader = await seed_staff(Role.SUPERVISOR)
    await (await signed_in(reader)).get(f"/staff/cases/{number}")
    auditor = await seed_staff(Role.PRIVACY_OFFICER)
    client = await signed_in(auditor)
    found = await client.get("/staff/audit", params={"record_id": number, "action": "read"})
    assert found.status_code == 200
    assert "1 record<" in found.text
    assert reader.email in found.text
    assert '<option value="read" selected>' in found.text
    async with session_factory() as session:
        searches = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.actor == auditor.email, AuditRecord.action == "search"
                )
            )
        ).all()
    assert [sorted(record.fields) for record in searches] == [["action", "record_id"]]


async def test_the_audit_search_names_a_wrong_filter(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.SECURITY_OFFICER))
    response = await client.get("/staff/audit", params={"since": "yesterday"})
    assert response.status_code == 422
    assert read_page(response.text).summary_links == ["#audit-since"]


async def test_only_auditors_may_open_the_audit_trail(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    for role, office in ((Role.ADMINISTRATOR, None), (Role.CASE_OFFICER, Office.TRADE)):
        client = await signed_in(await seed_staff(role, office))
        response = await client.get("/staff/audit")
        assert response.status_code == 403, role
        assert "may not use audit.search" in response.text
        queue_or_accounts = await client.get("/staff/accounts")
        assert 'href="/staff/audit"' not in queue_or_accounts.text


async def test_an_administrator_creates_trains_and_deactivates_an_account(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    admin = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    expires = (utcnow().date() + timedelta(days=30)).isoformat()
    email = f"new.officer.{pyotp.random_base32()[:6].lower()}@agency.example.gov"
    created = await post_form(
        admin,
        "/staff/accounts",
        "/staff/accounts",
        {
            "email": email,
            "name": "New Officer",
            "role": "case_officer",
            "office": "trade",
            "expires_on": expires,
        },
    )
    assert created.status_code == 201, created.text
    page = read_page(created.text)
    assert "created-password" in page.ids
    assert "created-totp-secret" in page.ids
    async with session_factory() as session:
        account = await repository.by_email(session, email)
    assert account is not None
    assert account.totp_secret is not None
    assert account.totp_secret in created.text
    assert account.password_must_change
    trained = await post_form(
        admin,
        "/staff/accounts",
        f"/staff/accounts/{account.id}/training",
        {"completed_on": utcnow().date().isoformat()},
    )
    assert trained.status_code == 303
    async with session_factory() as session:
        latest = await repository.latest_attestation(session, account.id)
    assert latest is not None
    assert latest.completed_on == utcnow().date()
    listing = await admin.get("/staff/accounts")
    deactivated = await admin.post(
        f"/staff/accounts/{account.id}/deactivate", data={"csrf_token": csrf_of(listing.text)}
    )
    assert deactivated.status_code == 303
    async with session_factory() as session:
        account = await repository.by_id(session, account.id)
    assert account is not None
    assert not account.active


async def test_account_form_errors_name_the_field_and_the_rule(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    admin = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    expires = (utcnow().date() + timedelta(days=30)).isoformat()
    no_office = await post_form(
        admin,
        "/staff/accounts",
        "/staff/accounts",
        {
            "email": "x@agency.example.gov",
            "name": "X",
            "role": "case_officer",
            "expires_on": expires,
        },
    )
    assert no_office.status_code == 422
    assert read_page(no_office.text).summary_links == ["#new-office"]
    assert "a case_officer must belong to an office" in no_office.text
    bad_email = await post_form(
        admin,
        "/staff/accounts",
        "/staff/accounts",
        {"email": "nope", "name": "X", "role": "administrator", "expires_on": expires},
    )
    assert read_page(bad_email.text).summary_links == ["#new-email"]
    future = await post_form(
        admin,
        "/staff/accounts",
        "/staff/accounts",
        {
            "email": "y@agency.example.gov",
            "name": "Y",
            "role": "administrator",
            "expires_on": "2001-01-01",
        },
    )
    assert read_page(future.text).summary_links == ["#new-expires-on"]
    assert "expires_on must be today or later" in future.text


async def test_a_supervisor_sees_only_their_office_and_no_form_for_what_they_may_not_manage(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    trade_officer = await seed_staff(Role.CASE_OFFICER, Office.TRADE)
    border_officer = await seed_staff(Role.CASE_OFFICER, Office.BORDER_PATROL)
    peer = await seed_staff(Role.SUPERVISOR, Office.TRADE)
    supervisor = await signed_in(await seed_staff(Role.SUPERVISOR, Office.TRADE))
    listing = await supervisor.get("/staff/accounts")
    assert listing.status_code == 200
    assert trade_officer.email in listing.text
    assert border_officer.email not in listing.text
    assert f"/staff/accounts/{trade_officer.id}/deactivate" in listing.text
    assert f"/staff/accounts/{peer.id}/deactivate" not in listing.text
    refused = await supervisor.post(
        f"/staff/accounts/{border_officer.id}/deactivate",
        data={"csrf_token": csrf_of(listing.text)},
    )
    assert refused.status_code == 403
    officer = await signed_in(await seed_staff(Role.CASE_OFFICER, Office.TRADE))
    assert (await officer.get("/staff/accounts")).status_code == 403
