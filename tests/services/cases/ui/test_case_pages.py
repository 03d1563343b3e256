"""The queue (filters, office scope, sorting, pages, empty state) and the case page (details,
timeline, audited read, forms only for what the role may do)."""

import random
from datetime import UTC, date, datetime, time, timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.contracts import (
    LIFECYCLE_STATE_QUERY,
    SERVICE_LEVELS_QUERY,
    ClockLevel,
    LifecycleState,
    ServiceLevels,
)
from support.portal import read_page

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn, post_form


def unique_day() -> date:
    """A day no other test received a case on, so a date filter isolates this test's cases."""
    return date(1990, 1, 1) + timedelta(days=random.randrange(10_000))


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def test_the_queue_filters_by_every_field_and_keeps_the_filters_in_the_form(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    day = unique_day()
    tip = await open_case(kind="tip", channel="phone", received_at=at(day, 9))
    complaint = await open_case(kind="complaint", received_at=at(day, 10))
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    window = {"received_from": day.isoformat(), "received_to": day.isoformat()}
    everything = await client.get("/staff/cases", params=window)
    assert tip in everything.text
    assert complaint in everything.text
    assert "2 cases" in everything.text
    tips = await client.get("/staff/cases", params={**window, "kind": "tip"})
    assert tip in tips.text
    assert complaint not in tips.text
    assert '<option value="tip" selected>' in tips.text
    by_channel = await client.get("/staff/cases", params={**window, "channel": "phone"})
    assert tip in by_channel.text
    assert complaint not in by_channel.text
    by_status = await client.get("/staff/cases", params={**window, "status": "closed"})
    assert "No case matches these filters" in by_status.text


async def test_sorting_orders_the_queue(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    day = unique_day()
    early = await open_case(received_at=at(day, 8))
    late = await open_case(received_at=at(day, 18))
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    window = {"received_from": day.isoformat(), "received_to": day.isoformat()}
    newest = (await client.get("/staff/cases", params={**window, "sort": "received_desc"})).text
    oldest = (await client.get("/staff/cases", params={**window, "sort": "received_asc"})).text
    assert newest.index(late) < newest.index(early)
    assert oldest.index(early) < oldest.index(late)


async def test_the_queue_pages_through_more_than_a_page_of_cases(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    day = unique_day()
    numbers = [await open_case(received_at=at(day, 0) + timedelta(minutes=i)) for i in range(27)]
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    window = {"received_from": day.isoformat(), "received_to": day.isoformat()}
    first = await client.get("/staff/cases", params=window)
    assert "Page 1 of 2" in first.text
    assert "Next page" in first.text
    second = await client.get("/staff/cases", params={**window, "page": "2"})
    shown = [number for number in numbers if number in second.text]
    assert len(shown) == 2
    assert "Previous page" in second.text


async def test_a_wrong_filter_and_an_upside_down_date_range_are_named(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    bad = await client.get("/staff/cases", params={"received_from": "not-a-day"})
    assert bad.status_code == 422
    assert read_page(bad.text).summary_links == ["#filter-received-from"]
    upside_down = await client.get(
        "/staff/cases", params={"received_from": "2026-11-02", "received_to": "2026-11-01"}
    )
    assert upside_down.status_code == 422
    assert "received to: must not be before received from" in upside_down.text


async def test_an_office_bound_officer_sees_only_that_office_and_no_office_filter(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
) -> None:
    day = unique_day()
    theirs = await open_case(received_at=at(day, 9))
    other = await open_case(received_at=at(day, 10))
    supervisor = await signed_in(await seed_staff(Role.SUPERVISOR))
    for number, office in ((theirs, "trade"), (other, "border_patrol")):
        response = await post_form(
            supervisor,
            f"/staff/cases/{number}",
            f"/staff/cases/{number}/actions/assign",
            {"office": office},
        )
        assert response.status_code == 303
    officer = await signed_in(await seed_staff(Role.CASE_OFFICER, Office.TRADE))
    window = {"received_from": day.isoformat(), "received_to": day.isoformat()}
    queue = await officer.get("/staff/cases", params={**window, "office": "border_patrol"})
    assert theirs in queue.text
    assert other not in queue.text
    assert 'name="office"' not in queue.text
    refused = await officer.get(f"/staff/cases/{other}")
    assert refused.status_code == 403
    assert "outside your office" in refused.text


async def test_an_empty_queue_says_what_to_do(signed_in: SignIn, seed_staff: SeedStaff) -> None:
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    day = unique_day().isoformat()
    response = await client.get("/staff/cases", params={"received_from": day, "received_to": day})
    assert "0 cases" in response.text
    assert "clear every filter" in response.text


async def test_the_case_page_shows_the_case_and_its_timeline_and_audits_the_read(
    signed_in: SignIn,
    seed_staff: SeedStaff,
    open_case: OpenCase,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    number = await open_case()
    staffer = await seed_staff(Role.SUPERVISOR)
    client = await signed_in(staffer)
    response = await client.get(f"/staff/cases/{number}")
    assert response.status_code == 200
    text = response.text
    assert f"<title>Case {number} | Ombuds staff</title>" in text
    assert "I waited six hours at the port." in text
    assert "ana@example.org" in text
    for heading in ("Details", "Contact", "Identity and other answers", "Timeline", "Workflow"):
        assert f">{heading}</h2>" in text, heading
    assert "own state is not available right now" in text
    assert 'id="timeline"' in text
    assert "Nothing yet." not in text
    async with session_factory() as session:
        reads = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.record_id == number, AuditRecord.actor == staffer.email
                )
            )
        ).all()
    assert [(r.action, r.outcome, r.actor_role) for r in reads] == [
        ("read", "success", "supervisor")
    ]
    assert "narrative" in reads[0].fields


async def test_a_role_sees_only_the_action_forms_it_may_use(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    records = await signed_in(await seed_staff(Role.RECORDS_OFFICER))
    page = await records.get(f"/staff/cases/{number}")
    assert page.status_code == 200
    assert "/actions/" not in page.text
    intake = await signed_in(await seed_staff(Role.INTAKE_SPECIALIST))
    page = await intake.get(f"/staff/cases/{number}")
    assert "/actions/note" in page.text
    assert "/actions/assign" not in page.text
    assert "/actions/close" not in page.text
    supervisor = await signed_in(await seed_staff(Role.SUPERVISOR))
    page = await supervisor.get(f"/staff/cases/{number}")
    for action in ("note", "assign", "priority", "tags", "link", "source-pointer", "close"):
        assert f"/actions/{action}" in page.text, action
    assert "/actions/reopen" not in page.text  # only a closed case can be reopened


async def test_a_role_without_case_read_is_refused_the_queue(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.SECURITY_OFFICER))
    response = await client.get("/staff/cases")
    assert response.status_code == 403
    assert "may not use case.read" in response.text
    navigation = response.text.split("<main")[0]
    assert ">Queue</a>" not in navigation
    assert ">Audit trail</a>" in navigation


class AnsweringHandle:
    """A workflow handle whose `state` query answers as CaseLifecycle's does."""

    def __init__(self, control_number: str) -> None:
        self.control_number = control_number

    async def query(self, name: str, *args: object, **kwargs: object) -> object:
        if name == SERVICE_LEVELS_QUERY:
            return levels(self.control_number)
        assert name == LIFECYCLE_STATE_QUERY
        return LifecycleState(
            control_number=self.control_number,
            status="triage",
            acknowledged=True,
            acknowledgement_message_id="msg-42",
        )


class AnsweringTemporal:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.client = self

    def get_workflow_handle(self, workflow_id: str) -> AnsweringHandle:
        self.asked.append(workflow_id)
        return AnsweringHandle(workflow_id.removeprefix("case-"))


async def test_the_case_page_shows_the_workflows_own_state_when_temporal_answers(
    app: FastAPI, signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    temporal = AnsweringTemporal()
    app.state.temporal = temporal
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    response = await client.get(f"/staff/cases/{number}")
    assert temporal.asked == [f"case-{number}", f"case-{number}"]
    assert "acknowledgement message id: msg-42" in response.text
    assert "own state is not available" not in response.text


def levels(control_number: str) -> ServiceLevels:
    due = datetime(2031, 12, 2, 15, tzinfo=UTC)
    return ServiceLevels(
        control_number=control_number,
        status="assigned",
        state="breached",
        paused=False,
        clocks=[
            ClockLevel(
                clock="triage",
                state="breached",
                due_at=due,
                business_days=3,
                remaining_business_days=-2,
                remaining_seconds=-3600,
                breached_at=due,
            ),
            ClockLevel(
                clock="response",
                state="on_track",
                due_at=datetime(2032, 1, 12, 15, tzinfo=UTC),
                business_days=30,
                remaining_business_days=27,
                remaining_seconds=3_000_000,
            ),
        ],
    )


async def test_the_case_page_shows_the_service_level_clocks(
    app: FastAPI, signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    app.state.temporal = AnsweringTemporal()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    page = (await client.get(f"/staff/cases/{number}")).text
    table = page[page.index('id="service-levels"') :]
    assert "2031-12-02 15:00 UTC" in table
    assert "staff-sla-breached" in table
    assert "2032-01-12 15:00 UTC" in table
    assert ">27<" in table


async def test_the_case_page_says_when_service_levels_are_unknown(
    signed_in: SignIn, seed_staff: SeedStaff, open_case: OpenCase
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    page = (await client.get(f"/staff/cases/{number}")).text
    assert "Service levels unknown right now" in page
