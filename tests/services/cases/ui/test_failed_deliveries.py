"""Notifications' sent and failed messages on the case: timeline entries, once each however
often the event arrives, and failed deliveries in an alert at the top of the case page."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.deliveries import MESSAGE_FAILED, MESSAGE_SENT, DeliveryHandler
from ombuds_cases.case.records import TimelineEntry
from ombuds_cases.models import Case
from ombuds_cases.staff.policy import Role
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    NOTIFICATION_FAILED_V1,
    NOTIFICATION_SENT_V1,
    CloudEvent,
    NotificationFailedV1,
    NotificationSentV1,
    make_event,
)

from ..conftest import OpenCase
from .conftest import SeedStaff, SignIn

Sessions = async_sessionmaker[AsyncSession]
AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
REASON = "550 5.1.1 <ana@example.org>: mailbox unknown"


def sent(number: str, template: str = "acknowledgement") -> CloudEvent:
    body = NotificationSentV1(
        control_number=number,
        message_id=f"m-{template}",
        template=template,
        channel="email",
        sent_at=AT,
    )
    return make_event("ombuds/notifications", NOTIFICATION_SENT_V1, body, number)


def failed(number: str, template: str = "closure", channel: str = "email") -> CloudEvent:
    body = NotificationFailedV1(
        control_number=number,
        message_id=f"m-{template}",
        template=template,
        channel=channel,
        status="bounced",
        reason=REASON,
        attempts=1,
        failed_at=AT,
    )
    return make_event("ombuds/notifications", NOTIFICATION_FAILED_V1, body, number)


async def entries_of(sessions: Sessions, number: str, kind: str) -> list[TimelineEntry]:
    async with sessions() as session:
        case_id = await session.scalar(select(Case.id).where(Case.control_number == number))
        found = await session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.case_id == case_id, TimelineEntry.kind == kind
            )
        )
        return list(found.all())


async def test_sent_and_failed_messages_go_on_the_timeline_once_each(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    handler = DeliveryHandler(session_factory)
    delivered, bounced = sent(number), failed(number)
    for event in (delivered, bounced, delivered, bounced):  # each redelivered once
        await handler(event)
    [sent_entry] = await entries_of(session_factory, number, MESSAGE_SENT)
    [failed_entry] = await entries_of(session_factory, number, MESSAGE_FAILED)
    assert sent_entry.summary == "Acknowledgement sent by email"
    assert sent_entry.actor == "notifications"
    assert failed_entry.data["reason"] == REASON
    assert failed_entry.data["channel"] == "email"
    assert failed_entry.data["status"] == "bounced"
    assert REASON in failed_entry.summary


async def test_a_message_for_a_case_not_held_here_is_dropped_without_blocking(
    session_factory: Sessions,
) -> None:
    number = new_control_number()
    await DeliveryHandler(session_factory)(failed(number))  # returns: nothing to retry
    async with session_factory() as session:
        assert await session.scalar(select(Case).where(Case.control_number == number)) is None


async def test_the_case_page_shows_failed_deliveries_in_an_alert_with_reason_and_channel(
    session_factory: Sessions, open_case: OpenCase, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    number = await open_case()
    client = await signed_in(await seed_staff(Role.SUPERVISOR))
    before = await client.get(f"/staff/cases/{number}")
    assert before.status_code == 200
    assert 'id="failed-deliveries"' not in before.text

    handler = DeliveryHandler(session_factory)
    await handler(sent(number))
    await handler(failed(number, "closure", "email"))
    page = (await client.get(f"/staff/cases/{number}")).text
    assert 'class="usa-alert usa-alert--error' in page
    alert = page[
        page.index('id="failed-deliveries"') : page.index(
            "</div>\n</div>", page.index('id="failed-deliveries"')
        )
    ]
    assert "1 message did not reach the submitter" in alert
    assert 'Closure</span> by <span class="text-bold">email</span>, bounced' in alert
    assert "550 5.1.1 &lt;ana@example.org&gt;: mailbox unknown" in alert
    # The alert comes before the details, where staff look first.
    assert page.index('id="failed-deliveries"') < page.index('id="details-heading"')
    # A sent message is on the timeline, not in the alert.
    assert "Acknowledgement sent by email" in page
    assert "Acknowledgement" not in alert
