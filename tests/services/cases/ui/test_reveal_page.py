"""The case page's reveal button: shown to the roles that may reveal, CSRF-protected, the
clear values on the page and the reveal in the audit trail; the queue's list read audited."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff.policy import Role

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, post_form

IDENTITY = {"passport_number": "X98765432", "date_of_birth": "1980-02-29"}
BOTH = ["identity.date_of_birth", "identity.passport_number"]


async def audited(
    session_factory: async_sessionmaker[AsyncSession], actor: str, action: str
) -> list[AuditRecord]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.actor == actor, AuditRecord.action == action)
            .order_by(AuditRecord.sequence)
        )
        return list(rows.all())


async def test_a_privacy_officer_reveals_on_the_case_page_and_it_is_audited(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    staffer = await seed_staff(Role.PRIVACY_OFFICER)
    client = await signed_in(staffer)
    page = (await client.get(f"/staff/cases/{number}")).text
    assert 'id="reveal-button"' in page
    assert "X98765432" not in page

    response = await post_form(
        client, f"/staff/cases/{number}", f"/staff/cases/{number}/reveal", {}
    )

    assert response.status_code == 200, response.text
    assert "X98765432" in response.text
    assert "1980-02-29" in response.text
    [record] = await audited(session_factory, staffer.email, "reveal")
    assert (record.record_id, record.outcome, record.fields) == (number, "success", BOTH)


async def test_the_reveal_needs_the_csrf_token_and_the_permission(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    officer = await signed_in(await seed_staff(Role.PRIVACY_OFFICER))
    forged = await officer.post(f"/staff/cases/{number}/reveal", data={})
    assert forged.status_code == 403
    assert "X98765432" not in forged.text

    records = await seed_staff(Role.RECORDS_OFFICER)
    client = await signed_in(records)
    page = (await client.get(f"/staff/cases/{number}")).text
    assert 'id="reveal-button"' not in page
    refused = await post_form(client, f"/staff/cases/{number}", f"/staff/cases/{number}/reveal", {})
    assert refused.status_code == 403
    assert "X98765432" not in refused.text
    [record] = await audited(session_factory, records.email, "reveal")
    assert (record.record_id, record.outcome) == (number, "denied")


async def test_the_queue_page_audits_one_read_naming_the_cases_shown(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    staffer = await seed_staff(Role.SUPERVISOR)
    client: httpx.AsyncClient = await signed_in(staffer)
    response = await client.get("/staff/cases?status=received")
    assert number in response.text
    reads = await audited(session_factory, staffer.email, "read")
    [record] = [r for r in reads if r.record_id == "/staff/cases?status=received"]
    assert record.record_type == "case_list"
    assert number in record.fields
