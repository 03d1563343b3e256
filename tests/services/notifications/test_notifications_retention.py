"""The notifications retention purge on SQLite and PostgreSQL: a case's contact copy, letters,
an emailed code that bounced and its `notification.failed` event, all made by the service's own
handlers, then purged by the `case.archive-requested` handler: nothing of the person remains."""

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from ombuds_notifications import repository, service
from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.lifecycle import LifecycleMessenger, message_key
from ombuds_notifications.models import (
    STATUS_BOUNCED,
    STATUS_READY_TO_PRINT,
    STATUS_SENT,
    Message,
    OutboxRecord,
)
from ombuds_notifications.retention import RetentionPurger
from ombuds_notifications.verification import VerificationMailer
from ombuds_shared.contracts import PrepareAcknowledgementLetter
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory, utcnow
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASE_CLOSED_V1,
    CASE_STATUS_CHANGED_V1,
    NOTIFICATION_FAILED_V1,
    NOTIFICATIONS_TOPIC,
    STORE_CLEARED_V1,
    SUBMISSION_RECEIVED_V2,
    VERIFICATION_CODE_ISSUED_V1,
    CaseArchiveRequestedV1,
    CaseClosedV1,
    CaseStatusChangedV1,
    CloudEvent,
    StoreClearedV1,
    SubmissionReceivedV2,
    VerificationCodeIssuedV1,
    make_event,
)
from support.purge import tables, traces

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    street: str

    @classmethod
    def fresh(cls, first_name: str, last_name: str) -> "Person":
        tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        return cls(
            first_name=f"{first_name}{tag}",
            last_name=f"{last_name}{tag}",
            email=f"{first_name.lower()}.{tag}@example.org",
            street=f"{secrets.randbelow(9000) + 100} Calle {tag.title()}",
        )

    @property
    def needles(self) -> list[str]:
        return [self.first_name, self.last_name, self.email, self.street]


def received(person: Person, control_number: str) -> CloudEvent:
    """A web submission with a postal address: steps are emailed, the address kept too."""
    body = SubmissionReceivedV2(
        control_number=control_number,
        form_version="2026-11-22",
        kind="complaint",
        category="general",
        topic=None,
        channel="web",
        anonymous=False,
        language="en",
        contact={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "street_address": person.street,
            "city": "San Diego",
            "state_province": "CA",
            "postal_code": "92101",
            "country": "USA",
        },
        incident={"narrative": "Rude officer."},
        received_at=utcnow(),
    )
    return make_event("ombuds/intake", SUBMISSION_RECEIVED_V2, body, control_number)


def code_issued(person: Person, control_number: str) -> CloudEvent:
    body = VerificationCodeIssuedV1(
        verification_id=secrets.token_hex(16),
        purpose="self_service",
        recipient_email=person.email,
        recipient_name=person.first_name,
        language="en",
        code="123456",
        link=None,
        control_number=control_number,
        expires_at=utcnow() + timedelta(minutes=30),
    )
    return make_event("ombuds/intake", VERIFICATION_CODE_ISSUED_V1, body, control_number)


def archive_request(control_number: str) -> CloudEvent:
    body = CaseArchiveRequestedV1(control_number=control_number, requested_at=utcnow())
    return make_event("ombuds/cases", CASE_ARCHIVE_REQUESTED_V1, body, control_number)


async def seed(settings: Settings, engine: AsyncEngine, person: Person) -> str:
    """A case with its contact, two emails (one bounced), an emailed code and a letter, made
    by the service's own handlers and activity."""
    factory = create_session_factory(engine)
    control_number = new_control_number()
    messenger = LifecycleMessenger(factory, settings)
    await messenger.handle(received(person, control_number))
    assigned = CaseStatusChangedV1(
        control_number=control_number,
        from_status="triage",
        to_status="assigned",
        reason="routed",
        changed_at=utcnow(),
    )
    await messenger.handle(
        make_event("ombuds/cases", CASE_STATUS_CHANGED_V1, assigned, control_number)
    )
    closed = CaseClosedV1(
        control_number=control_number,
        disposition="substantiated",
        reason="We apologised.",
        closed_at=utcnow(),
    )
    await messenger.handle(make_event("ombuds/cases", CASE_CLOSED_V1, closed, control_number))
    await VerificationMailer(factory, settings).handle(code_issued(person, control_number))
    letter = PrepareAcknowledgementLetter(
        control_number=control_number,
        kind="complaint",
        channel="mail",
        recipient_name=f"{person.first_name} {person.last_name}",
        address_lines=[person.street, "San Diego, CA 92101"],
    )
    activities = NotificationActivities(factory, settings)
    await ActivityEnvironment().run(activities.prepare_acknowledgement_letter, letter)
    async with UnitOfWork(factory) as uow:
        closure = await repository.by_idempotency_key(
            uow.session, message_key(control_number, f"closure:{closed.closed_at.isoformat()}")
        )
        assert closure is not None
        await service.record_bounce(
            uow.session, closure.message_id, f"550 5.1.1 <{person.email}>: mailbox unknown"
        )
        await uow.commit()
    return control_number


async def store_cleared(engine: AsyncEngine, control_number: str) -> list[StoreClearedV1]:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(
                OutboxRecord.message_key == control_number,
                OutboxRecord.event_type == STORE_CLEARED_V1,
            )
            .order_by(OutboxRecord.id)
        )
        found = []
        for row in rows:
            assert row.topic == NOTIFICATIONS_TOPIC
            found.append(
                StoreClearedV1.model_validate(CloudEvent.model_validate_json(row.payload).data)
            )
    return found


async def test_purge_leaves_nothing_of_the_person_and_answers_once(
    settings: Settings, sink: Controller
) -> None:
    engine = create_engine(settings.database_url)
    try:
        person = Person.fresh("Yolanda", "Achterberg")
        bystander = Person.fresh("Kwame", "Asante")
        purged = await seed(settings, engine, person)
        kept = await seed(settings, engine, bystander)
        before = await traces(engine, person.needles)
        # The scan finds every detail before the purge, so its silence afterwards means something.
        assert {needle for _table, _column, needle in before} == set(person.needles)
        assert tables(before) == {"messages", "case_contacts", "outbox"}
        bystander_before = await traces(engine, bystander.needles)

        factory = create_session_factory(engine)
        purger = RetentionPurger(factory)
        request = archive_request(purged)
        await purger.handle(request)
        await purger.handle(request)  # redelivered: the inbox drops it

        assert await traces(engine, person.needles) == set()
        assert await traces(engine, bystander.needles) == bystander_before
        [cleared] = await store_cleared(engine, purged)
        assert cleared.service == "notifications"
        # Two step emails, the code and the letter; the contact copy; sent, sent, bounced.
        assert cleared.manifest == {
            "messages": 4,
            "case_contacts": 1,
            "outbox": 3,
            "parked_events": 0,
        }
        async with factory() as session:
            stubs = list(
                await session.scalars(select(Message).where(Message.control_number == purged))
            )
            failed_events = await session.scalars(
                select(OutboxRecord.message_key).where(
                    OutboxRecord.event_type == NOTIFICATION_FAILED_V1
                )
            )
            failed_for = set(failed_events)
        # The stubs keep the one-per-step keys and the outcome, and nothing of the person.
        assert sorted(stub.status for stub in stubs) == [
            STATUS_BOUNCED,
            STATUS_READY_TO_PRINT,
            STATUS_SENT,
            STATUS_SENT,
        ]
        assert {(stub.recipient, stub.subject, stub.body, stub.error) for stub in stubs} == {
            ("", "", None, None)
        }
        assert kept in failed_for
        assert purged not in failed_for
    finally:
        await engine.dispose()


async def test_an_unknown_case_and_a_repeat_request_remove_nothing(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        purger = RetentionPurger(create_session_factory(engine))
        unknown = new_control_number()
        await purger.handle(archive_request(unknown))
        await purger.handle(archive_request(unknown))
        first, second = await store_cleared(engine, unknown)
        assert first.control_number == unknown
        assert set(first.manifest.values()) == {0}
        assert set(second.manifest.values()) == {0}
    finally:
        await engine.dispose()
