"""Every action form on the case page: applied through the service functions, audited, refused
without a CSRF token or permission, and its validation and rule errors named on the page."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases import repository
from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.case import queries
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.case.views import case_detail
from ombuds_cases.schemas import CaseDetail
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.events import (
    SUBMISSION_SUPPLEMENTED_V2,
    SubmissionSupplementedV2,
    make_event,
)
from support.portal import read_page

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, csrf_of, post_form

Check = Callable[[CaseDetail], Any]

# action, form, what the case shows afterwards
APPLIED: list[tuple[str, dict[str, str], Check]] = [
    ("note", {"stage": "review", "text": "Called the port."}, lambda c: c.notes[-1].text),
    ("assign", {"office": "trade", "assignee": "kim"}, lambda c: (c.office, c.assignee, c.status)),
    ("priority", {"priority": "urgent"}, lambda c: c.priority),
    ("tags", {"tags": "port, delay"}, lambda c: c.tags),
    ("source-pointer", {"system": "TECS", "reference_id": "R-77"}, lambda c: c.source_pointers),
    ("findings", {"findings": "Long wait.", "recommendations": "Staff up."}, lambda c: c.findings),
    ("disposition", {"disposition": "unsubstantiated"}, lambda c: c.disposition),
    ("status", {"status": "triage", "reason": "looking"}, lambda c: c.status),
    ("close", {"reason": "answered", "disposition": "information_provided"}, lambda c: c.status),
    ("withdraw", {"reason": "asked by phone"}, lambda c: c.status),
]
EXPECTED: dict[str, Any] = {
    "note": "Called the port.",
    "assign": ("trade", "kim", "assigned"),
    "priority": "urgent",
    "tags": ["delay", "port"],
    "findings": "Long wait.",
    "disposition": "unsubstantiated",
    "status": "triage",
    "close": "closed",
    "withdraw": "withdrawn",
}


async def detail_of(session_factory: async_sessionmaker[AsyncSession], number: str) -> CaseDetail:
    async with session_factory() as session:
        return await case_detail(session, number)


async def act(
    client: httpx.AsyncClient, number: str, action: str, form: dict[str, str]
) -> httpx.Response:
    return await post_form(
        client, f"/staff/cases/{number}", f"/staff/cases/{number}/actions/{action}", form
    )


@pytest.mark.parametrize(("action", "form", "check"), APPLIED, ids=[a[0] for a in APPLIED])
async def test_each_action_form_applies_the_action_audits_it_and_returns_to_the_case(
    action: str,
    form: dict[str, str],
    check: Check,
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    staffer = await seed_staff(Role.SUPERVISOR)
    client = await signed_in(staffer)
    response = await act(client, number, action, form)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/staff/cases/{number}?done={action}")
    detail = await detail_of(session_factory, number)
    if action == "source-pointer":
        assert [(p.system, p.reference_id) for p in check(detail)] == [("TECS", "R-77")]
    else:
        assert check(detail) == EXPECTED[action]
    async with session_factory() as session:
        audited = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.record_id == number,
                    AuditRecord.actor == staffer.email,
                    AuditRecord.action == "update",
                )
            )
        ).all()
    assert [record.outcome for record in audited] == ["success"]
    page = await client.get(response.headers["location"])
    assert f"Done: {action} saved." in page.text


async def test_link_and_reopen_apply_and_the_timeline_names_who_acted(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number, other = await open_case(), await open_case()
    staffer = await seed_staff(Role.SUPERVISOR)
    client = await signed_in(staffer)
    linked = await act(client, number, "link", {"control_number": other, "relation": "related_to"})
    assert linked.status_code == 303
    closed = await act(client, number, "close", {"reason": "done", "disposition": "duplicate"})
    assert closed.status_code == 303
    page = await client.get(f"/staff/cases/{number}")
    assert "/actions/reopen" in page.text
    assert "/actions/close" not in page.text
    reopened = await act(client, number, "reopen", {"reason": "new facts"})
    assert reopened.status_code == 303
    detail = await detail_of(session_factory, number)
    assert detail.status == "triage"
    assert detail.disposition is None
    assert [(link.linked_control_number, link.relation) for link in detail.links] == [
        (other, "related_to")
    ]
    async with session_factory() as session:
        case = await repository.by_control_number(session, number)
        assert case is not None
        entries = await queries.timeline_of(session, case.id)
    acted = [entry for entry in entries if entry.actor == staffer.email]
    assert {entry.kind for entry in acted} >= {"linked", "disposition_set"}
    assert len(acted) >= 4


async def test_the_refer_form_lists_the_directory_and_refers_the_case(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    page = await client.get(f"/staff/cases/{number}")
    assert 'value="crcl"' in page.text
    # A case still in `received` is triaged first: the state machine refuses the move.
    early = await act(client, number, "refer", {"recipient_id": "crcl", "purpose": "review"})
    assert early.status_code == 409
    assert "cannot become referred" in early.text
    await act(client, number, "status", {"status": "triage", "reason": "looking"})

    referred = await act(
        client, number, "refer", {"recipient_id": "crcl", "purpose": "civil liberties review"}
    )

    assert referred.status_code == 303, referred.text
    detail = await detail_of(session_factory, number)
    assert detail.status == "referred"
    assert [(r.recipient_id, r.status) for r in detail.referrals] == [("crcl", "requested")]
    assert detail.referrals[0].nature.startswith("the case record")
    shown = await client.get(referred.headers["location"])
    assert 'id="referrals"' in shown.text
    assert "civil liberties review" in shown.text


async def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    response = await client.post(
        f"/staff/cases/{number}/actions/note", data={"stage": "review", "text": "sneaky"}
    )
    assert response.status_code == 403
    assert "could not be verified" in response.text
    forged = await client.post(
        f"/staff/cases/{number}/actions/note",
        data={"stage": "review", "text": "sneaky", "csrf_token": "1.abc.def"},
    )
    assert forged.status_code == 403
    assert (await detail_of(session_factory, number)).notes == []


async def test_validation_errors_name_the_field_and_link_to_it_and_keep_the_values(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    response = await act(client, number, "note", {"stage": "lunch", "text": "kept text"})
    assert response.status_code == 422
    page = read_page(response.text)
    assert page.summary_links == ["#note-stage"]
    assert "stage: Input should be &#39;intake&#39;" in response.text
    assert "kept text</textarea>" in response.text
    assert page.control("stage").attrs.get("aria-invalid") == "true"
    empty = await act(client, number, "status", {"status": "triage"})
    assert read_page(empty.text).summary_links == ["#status-reason"]
    tags = await act(client, number, "tags", {"tags": "Not A Tag"})
    assert read_page(tags.text).summary_links == ["#tags-tags"]


async def test_a_service_refusal_is_shown_on_the_form_with_its_status(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    no_disposition = await act(client, number, "close", {"reason": "done"})
    assert no_disposition.status_code == 422
    assert read_page(no_disposition.text).summary_links == ["#close-disposition"]
    assert "a case is closed with a disposition" in no_disposition.text
    self_link = await act(
        client, number, "link", {"control_number": number, "relation": "duplicate_of"}
    )
    assert self_link.status_code == 422
    assert read_page(self_link.text).summary_links == ["#link-control-number"]
    await act(client, number, "withdraw", {"reason": "asked"})
    illegal = await act(client, number, "status", {"status": "assigned", "reason": "oops"})
    assert illegal.status_code == 409
    assert "withdrawn" in illegal.text


async def test_a_role_without_the_permission_or_outside_the_office_is_refused(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    supervisor = await signed_in(await seed_staff(Role.SUPERVISOR))
    await act(supervisor, number, "assign", {"office": "trade"})
    officer = await signed_in(await seed_staff(Role.CASE_OFFICER, Office.TRADE))
    refused = await act(officer, number, "assign", {"office": "border_patrol"})
    assert refused.status_code == 403
    assert "may not use case.assign" in refused.text
    outsider = await signed_in(await seed_staff(Role.CASE_OFFICER, Office.BORDER_PATROL))
    opened = await outsider.get(f"/staff/cases/{number}")
    assert opened.status_code == 403
    # A token from some other page does not get an outsider past the office check.
    queue = await outsider.get("/staff/cases")
    note = await outsider.post(
        f"/staff/cases/{number}/actions/note",
        data={"stage": "review", "text": "not mine", "csrf_token": csrf_of(queue.text)},
    )
    assert note.status_code == 403
    assert "outside your office" in note.text
    detail = await detail_of(session_factory, number)
    assert detail.office == "trade"
    assert detail.notes == []


async def test_the_case_page_shows_the_open_request_then_the_answer(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    # A case still in intake is not asked anything: it is triaged or assigned first.
    assert "/actions/information-request" not in (await client.get(f"/staff/cases/{number}")).text
    await act(client, number, "assign", {"office": "trade"})
    assert "/actions/information-request" in (await client.get(f"/staff/cases/{number}")).text
    bad = await act(client, number, "information-request", {"due_in_business_days": "0"})
    assert bad.status_code == 422
    assert read_page(bad.text).summary_links == [
        "#information-request-question",
        "#information-request-due-in-business-days",
    ]
    asked = await act(
        client,
        number,
        "information-request",
        {"question": "Which lane?", "due_in_business_days": "5"},
    )
    assert asked.status_code == 303
    assert asked.headers["location"].startswith(f"/staff/cases/{number}?done=information-request")
    page = (await client.get(f"/staff/cases/{number}")).text
    detail = await detail_of(session_factory, number)
    [request] = detail.information_requests
    assert "Which lane?" in page
    assert f"due {request.due_at.strftime('%Y-%m-%d')}" in page
    assert ">open<" in page
    # While the case awaits the answer, no second request can be sent.
    assert "/actions/information-request" not in page

    handler = SelfServiceHandler(session_factory, signals=None)
    await handler(
        make_event(
            "ombuds/intake",
            SUBMISSION_SUPPLEMENTED_V2,
            SubmissionSupplementedV2(
                control_number=number,
                supplement_id="s" * 32,
                text="Lane 4, about noon.",
                attachments=["att-1"],
                reply_to_request=request.request_id,
                supplemented_at=request.asked_at,
            ),
            number,
        )
    )
    page = (await client.get(f"/staff/cases/{number}")).text
    assert "answer</h3>" in page
    assert "Lane 4, about noon." in page
    assert ">open<" not in page
    assert (await detail_of(session_factory, number)).status == "assigned"
