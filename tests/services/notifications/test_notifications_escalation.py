"""Staff escalations and the acknowledgement letter as PDF, through the activities."""

import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from ombuds_devstack.smtp_sink import read_messages
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.main import create_app
from ombuds_notifications.models import Message
from ombuds_shared.contracts import PrepareAcknowledgementLetter, SendStaffEscalation
from ombuds_shared.control_numbers import new_control_number

SessionFactory = async_sessionmaker[AsyncSession]


def escalation(**changes: str) -> SendStaffEscalation:
    fields: dict[str, object] = {
        "control_number": new_control_number(),
        "step": "triage-sla",
        "supervisor_email": f"sam+{uuid.uuid4().hex[:8]}@agency.example.gov",
        "overdue": "triage (5 business days)",
        "due_at": datetime(2026, 11, 20, 17, 0, tzinfo=UTC),
        "case_url": "https://staff.example/cases/x",
        **changes,
    }
    return SendStaffEscalation.model_validate(fields)


async def test_an_escalation_retried_three_times_sends_one_email(
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    session_factory: SessionFactory,
    maildir: Path,
) -> None:
    request = escalation()
    results = [await activity_env.run(activities.send_staff_escalation, request) for _ in range(3)]

    assert [result.already_sent for result in results] == [False, True, True]
    assert len({result.message_id for result in results}) == 1
    mails = [m for m in read_messages(maildir) if m["To"] == request.supervisor_email]
    assert len(mails) == 1
    assert " ".join(str(mails[0]["Subject"]).split()) == (
        f"Escalation: case {request.control_number} is overdue (triage (5 business days))"
    )
    plain = mails[0].get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "Was due: 20 November 2026" in body
    assert "https://staff.example/cases/x" in body
    async with session_factory() as session:
        [logged] = list(
            await session.scalars(
                select(Message).where(Message.control_number == request.control_number)
            )
        )
    assert (logged.idempotency_key, logged.status, logged.template) == (
        f"{request.control_number}:escalation:triage-sla",
        "sent",
        "staff_escalation",
    )


async def test_another_step_of_the_same_case_is_another_email(
    activity_env: ActivityEnvironment, activities: NotificationActivities, maildir: Path
) -> None:
    first = escalation()
    second = escalation(control_number=first.control_number, step="rfi-deadline")
    second = second.model_copy(update={"supervisor_email": first.supervisor_email})
    one = await activity_env.run(activities.send_staff_escalation, first)
    two = await activity_env.run(activities.send_staff_escalation, second)

    assert one.message_id != two.message_id
    assert len([m for m in read_messages(maildir) if m["To"] == first.supervisor_email]) == 2


async def test_a_malformed_supervisor_address_fails_for_good(
    activity_env: ActivityEnvironment, activities: NotificationActivities
) -> None:
    with pytest.raises(ApplicationError) as raised:
        await activity_env.run(
            activities.send_staff_escalation, escalation(supervisor_email="not an address")
        )
    assert raised.value.non_retryable is True


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as client,
    ):
        yield client


async def test_the_acknowledgement_letter_reads_back_from_its_pdf(
    client: httpx.AsyncClient,
    activity_env: ActivityEnvironment,
    activities: NotificationActivities,
    tmp_path: Path,
) -> None:
    request = PrepareAcknowledgementLetter(
        control_number=new_control_number(),
        kind="complaint",
        channel="letter",
        recipient_name="José Muñoz",
        address_lines=["Calle Mayor 12, 3.º B", "Springfield, IL 62704", "USA"],
        language="es",
    )
    result = await activity_env.run(activities.prepare_acknowledgement_letter, request)

    response = await client.get(f"/api/v1/messages/{result.message_id}/letter.pdf")
    missing = await client.get(f"/api/v1/messages/{uuid.uuid4()}/letter.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert missing.status_code == 404
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "José Muñoz",
        "Calle Mayor 12, 3.º B",
        "Springfield, IL 62704",
        request.control_number,
        "Gracias por su queja",
    ):
        assert expected in text, expected
    assert " de 20" in text  # the date, written out in Spanish ("23 de noviembre de 2026")
