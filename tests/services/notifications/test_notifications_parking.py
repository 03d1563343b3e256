"""A case event that comes before the case's contact copy is parked, not retried in place: the
consumer moves on at once, and the parked events are replayed in order, once, when the contact
arrives (through the handler, and through the real broker and SMTP sink)."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications.config import Settings
from ombuds_notifications.lifecycle import LifecycleMessenger
from ombuds_notifications.main import create_app
from ombuds_notifications.models import InboxRecord, ParkedEvent
from ombuds_shared.db import create_session_factory
from ombuds_shared.events import (
    CASE_INFORMATION_REQUESTED_V1,
    CaseInformationRequestedV1,
    CloudEvent,
)
from ombuds_shared.settings import PlatformSettings
from support.infra import Infra

from .test_notifications_lifecycle import (
    NOW,
    case_event,
    closed,
    mails_for,
    publish,
    received,
    text_of,
)

Sessions = async_sessionmaker[AsyncSession]
PARTITIONS = [0, 1, 2]  # ensure_topics' default


def information_requested(number: str, question: str) -> CloudEvent:
    """The request's own event carries the question (the status move itself sends nothing)."""
    body = CaseInformationRequestedV1(
        control_number=number,
        request_id="req-1",
        question=question,
        due_at=NOW + timedelta(days=28),
        reply_path=f"/manage/{number}/reply/req-1",
        requested_at=NOW,
    )
    return case_event(CASE_INFORMATION_REQUESTED_V1, body, number)


async def parked_of(sessions: Sessions, number: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ParkedEvent.event_id)
            .where(ParkedEvent.control_number == number)
            .order_by(ParkedEvent.id)
        )
        return list(rows.all())


async def applied(sessions: Sessions, event: CloudEvent) -> bool:
    async with sessions() as session:
        return await session.get(InboxRecord, event.id) is not None


async def test_an_early_case_event_is_parked_at_once_and_replayed_in_order_when_the_contact_comes(
    session_factory: Sessions, settings: Settings, maildir: Path
) -> None:
    messenger = LifecycleMessenger(session_factory, settings)
    submission = received()
    number = submission.subject
    question = information_requested(number, "Which port were you at?")
    closure = closed(number)

    started = time.monotonic()
    await messenger.handle(question)
    await messenger.handle(closure)
    await messenger.handle(question)  # redelivered while parked: parked once
    assert time.monotonic() - started < 2.0  # no waiting for the contact
    assert await parked_of(session_factory, number) == [question.id, closure.id]
    assert not await applied(session_factory, question)
    assert mails_for(maildir, number) == []

    await messenger.handle(submission)
    mails = mails_for(maildir, number)
    assert [mail["Subject"] for mail in mails] == [
        f"We need more information about {number}",
        f"Your submission {number} is closed",
    ]
    assert "Which port were you at?" in text_of(mails[0])
    assert await parked_of(session_factory, number) == []
    assert await applied(session_factory, question)
    assert await applied(session_factory, closure)

    # Every event again, the submission too: nothing more is sent.
    for event in (question, closure, submission):
        await messenger.handle(event)
    assert len(mails_for(maildir, number)) == 2


async def test_a_parked_event_of_an_anonymous_case_sends_nothing(
    session_factory: Sessions, settings: Settings, maildir: Path
) -> None:
    messenger = LifecycleMessenger(session_factory, settings)
    submission = received(anonymous=True)
    closure = closed(submission.subject)
    await messenger.handle(closure)
    await messenger.handle(submission)
    assert await applied(session_factory, closure)
    assert await parked_of(session_factory, submission.subject) == []
    assert mails_for(maildir, submission.subject) == []


async def test_a_contact_stored_while_the_event_was_parking_is_not_missed(
    session_factory: Sessions, settings: Settings, maildir: Path
) -> None:
    """The race: the contact commits after the event looked for it, and its replay ran
    before the park committed. Parking looks again after committing and replays."""
    messenger = LifecycleMessenger(session_factory, settings)
    submission = received()
    closure = closed(submission.subject)
    looked_up = asyncio.Event()
    original = messenger._contact
    calls = 0

    async def contact_then_submission(control_number: str) -> object:
        nonlocal calls
        calls += 1
        found = await original(control_number)
        if calls == 1:
            # Between the event's lookup and its park, the submission is applied in full.
            await messenger.handle(submission)
            looked_up.set()
        return found

    messenger._contact = contact_then_submission  # type: ignore[method-assign,assignment]
    await messenger.handle(closure)
    assert looked_up.is_set()
    assert [mail["Subject"] for mail in mails_for(maildir, submission.subject)] == [
        f"Your submission {submission.subject} is closed"
    ]
    assert await parked_of(session_factory, submission.subject) == []


def same_partition_as(number: str) -> CloudEvent:
    """A submission whose control number lands on `number`'s partition (the default
    partitioner), so a stuck event for `number` would hold it up."""
    partitioner = DefaultPartitioner()
    target = partitioner(number.encode(), PARTITIONS, PARTITIONS)
    while True:
        candidate = received()
        if partitioner(candidate.subject.encode(), PARTITIONS, PARTITIONS) == target:
            return candidate


@pytest.fixture
async def running(
    migrated_url: str, sink: Controller, infra: Infra
) -> AsyncIterator[tuple[FastAPI, PlatformSettings]]:
    settings = Settings(
        database_url=migrated_url,
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        run_worker=False,
        platform=infra.isolated_platform(),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, settings.platform


async def test_through_the_broker_an_orphan_case_event_does_not_stall_its_partition(
    running: tuple[FastAPI, PlatformSettings], maildir: Path
) -> None:
    app, platform = running
    orphan = closed(received().subject)  # its submission never comes
    submission = same_partition_as(orphan.subject)
    number = submission.subject
    later = closed(number)
    started = time.monotonic()
    # The orphan first, on the same partition as the later case's closure.
    await publish(platform, orphan)
    await publish(platform, submission, later)
    sessions = create_session_factory(app.state.engine)
    while not mails_for(maildir, number):
        assert time.monotonic() - started < 30, "the closure waited behind the orphan"
        await asyncio.sleep(0.1)
    assert [mail["Subject"] for mail in mails_for(maildir, number)] == [
        f"Your submission {number} is closed"
    ]
    # Well inside the old 300 s wait: the orphan did not hold the partition.
    assert time.monotonic() - started < 30
    assert await parked_of(sessions, orphan.subject) == [orphan.id]
