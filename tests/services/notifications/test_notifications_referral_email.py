"""A referral's email channel: one message per referral, action and channel, whatever the
retries; a reminder is another message."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.models import Message
from ombuds_shared.contracts import SendReferralEmail
from ombuds_shared.control_numbers import new_control_number

SessionFactory = async_sessionmaker[AsyncSession]


def referral_email(action: str = "referral", **changes: object) -> SendReferralEmail:
    referral_id = str(uuid.uuid4())
    fields: dict[str, object] = {
        "referral_id": referral_id,
        "control_number": new_control_number(),
        "recipient_id": "crcl",
        "recipient_name": "DHS Office for Civil Rights and Civil Liberties",
        "recipient_email": f"crcl+{uuid.uuid4().hex[:8]}@dhs.example.gov",
        "action": action,
        "purpose": "investigation of a civil liberties complaint",
        "nature": "complaint narrative and contact details",
        "deadline": datetime(2031, 3, 5, 15, tzinfo=UTC),
        "idempotency_key": f"{referral_id}:{action}:email",
        **changes,
    }
    return SendReferralEmail.model_validate(fields)


async def test_a_referral_email_retried_three_times_is_sent_once(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
) -> None:
    request = referral_email()
    results = [await activity_env.run(activities.send_referral_email, request) for _ in range(3)]

    assert [result.already_sent for result in results] == [False, True, True]
    assert len({result.message_id for result in results}) == 1
    [mail] = [m for m in read_messages(maildir) if request.recipient_email in str(m["To"])]
    assert " ".join(str(mail["Subject"]).split()) == (
        f"Case {request.control_number} referred to {request.recipient_name}"
    )
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"Referral: {request.referral_id}" in body
    assert "Purpose: investigation of a civil liberties complaint" in body
    assert "Please answer by: 5 March 2031" in body
    async with session_factory() as session:
        [logged] = list(
            await session.scalars(
                select(Message).where(Message.control_number == request.control_number)
            )
        )
    assert (logged.idempotency_key, logged.status, logged.template) == (
        f"referral:{request.idempotency_key}",
        "sent",
        "agency_referral",
    )


async def test_a_reminder_of_the_same_referral_is_another_email(
    activity_env: ActivityEnvironment, activities: NotificationActivities, maildir: Path
) -> None:
    first = referral_email()
    reminder = first.model_copy(
        update={
            "action": "reminder-acknowledgement-1",
            "idempotency_key": f"{first.referral_id}:reminder-acknowledgement-1:email",
        }
    )
    one = await activity_env.run(activities.send_referral_email, first)
    two = await activity_env.run(activities.send_referral_email, reminder)

    assert one.message_id != two.message_id
    subjects = sorted(
        " ".join(str(m["Subject"]).split())
        for m in read_messages(maildir)
        if first.recipient_email in str(m["To"])
    )
    assert subjects == [
        f"Case {first.control_number} referred to {first.recipient_name}",
        f"Reminder: referral of case {first.control_number} awaits your answer",
    ]
