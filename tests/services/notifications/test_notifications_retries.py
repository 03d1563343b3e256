"""The acknowledgement activity retried three times against the real SMTP sink sends one
email: a first attempt that fails before the mail server takes the message, a second whose
database fails twice after the send (recorded in place, not by resending), a third that finds
it sent."""

from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import ActivityEnvironment

from ombuds_devstack.processes import free_port
from ombuds_notifications import service
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.models import Message
from ombuds_shared.events import NOTIFICATION_SENT_V1

from .test_notifications_activity import (
    MakeRequest,
    SessionFactory,
    log_for,
    mails_for,
    outbox,
)


def failing_twice(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`service.mark_sent` fails its first two calls as a dropped database connection would."""
    real = service.mark_sent
    calls: list[str] = []

    async def flaky(session: AsyncSession, message_id: str) -> Message:
        calls.append(message_id)
        if len(calls) <= 2:
            raise OperationalError("UPDATE messages", {}, ConnectionResetError("reset by peer"))
        return await real(session, message_id)

    monkeypatch.setattr(service, "mark_sent", flaky)
    return calls


async def test_an_acknowledgement_retried_three_times_sends_one_email(
    activity_env: ActivityEnvironment,
    session_factory: SessionFactory,
    settings: Settings,
    maildir: Path,
    make_request: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = make_request()
    no_server = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})

    # 1: the mail server is down: nothing sent, the activity fails for Temporal to retry.
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await activity_env.run(
            NotificationActivities(session_factory, no_server).send_acknowledgement, request
        )
    assert mails_for(maildir, request.control_number) == []

    # 2: sent, then recording it fails twice; the activity records it on its third try.
    calls = failing_twice(monkeypatch)
    activities = NotificationActivities(session_factory, settings)
    second = await activity_env.run(activities.send_acknowledgement, request)
    assert len(calls) == 3
    assert second.already_sent is False

    # 3: Temporal retries once more (the result was lost): it finds the message sent.
    third = await activity_env.run(activities.send_acknowledgement, request)
    assert third.already_sent is True
    assert third.message_id == second.message_id

    assert len(mails_for(maildir, request.control_number)) == 1
    [message] = await log_for(session_factory, request.control_number)
    assert (message.status, message.attempts) == ("sent", 2)
    sent_events = [
        row
        for row in await outbox(session_factory, request.control_number)
        if row.event_type == NOTIFICATION_SENT_V1
    ]
    assert len(sent_events) == 1


async def test_a_database_down_past_the_attempts_fails_the_activity(
    activity_env: ActivityEnvironment,
    session_factory: SessionFactory,
    settings: Settings,
    make_request: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def down(*_: Any) -> Message:
        raise OperationalError("UPDATE messages", {}, ConnectionRefusedError("down"))

    monkeypatch.setattr(service, "mark_sent", down)
    monkeypatch.setattr("ombuds_notifications.activities._RECORD_SENT_FIRST_DELAY_SECONDS", 0.01)
    request = make_request()
    with pytest.raises(OperationalError):
        await activity_env.run(
            NotificationActivities(session_factory, settings).send_acknowledgement, request
        )
    [message] = await log_for(session_factory, request.control_number)
    assert message.status == "sending"  # Temporal's retry resumes it
