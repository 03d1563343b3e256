"""Correction notices (5 U.S.C. 552a(c)(4)): earlier recipients are told of accepted corrections.

`case.record-amended` names every earlier recipient from the disclosure accounting by the
name and address it was disclosed to. Each one in the directory is told once per amendment
on its channels: the outbound topic (staged in the outbox with the inbox row) and its signed
webhook (a `correction_notices` row the sender posts, retrying with backoff). A recipient the
directory does not know, or that no channel reaches, is reported back with
`correction-notice-undeliverable` so staff write a letter; so is a webhook that refuses or
keeps failing.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from ombuds_referrals import webhooks
from ombuds_referrals.models import CorrectionNotice, DirectoryEntry, InboxRecord, OutboxRecord
from ombuds_shared.contracts import CHANNEL_KAFKA, CHANNEL_WEBHOOK
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    REFERRAL_CORRECTION_NOTICE_V1,
    REFERRAL_CORRECTION_UNDELIVERABLE_V1,
    REFERRALS_OUTBOUND_TOPIC,
    REFERRALS_TOPIC,
    CaseRecordAmendedV1,
    CloudEvent,
    CorrectionRecipientV1,
    ReferralCorrectionNoticeV1,
    ReferralCorrectionUndeliverableV1,
    make_event,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import add_to_outbox
from ombuds_shared.tasks import raise_if_cancelling

log = logging.getLogger(__name__)

SOURCE = "ombuds-referrals"
PENDING, SENT, FAILED = "pending", "sent", "failed"
NOT_IN_DIRECTORY = "not in the directory: tell this recipient by letter"
DISABLED = "the directory entry is disabled: tell this recipient by letter"
NO_CHANNEL = "no outbound topic or webhook for this recipient: tell it by letter"


def _key(amendment_id: str, recipient_id: str, channel: str) -> str:
    return f"correction:{amendment_id}:{recipient_id}:{channel}"


async def _find(session: AsyncSession, recipient: CorrectionRecipientV1) -> DirectoryEntry | None:
    """The entry the record was disclosed to: by name and address as accounted, else by a
    name only one entry has (the address may have been edited since)."""
    exact = await session.scalar(
        select(DirectoryEntry).where(
            DirectoryEntry.name == recipient.name,
            DirectoryEntry.postal_address == recipient.address,
        )
    )
    if exact is not None:
        return exact
    named = (
        await session.scalars(select(DirectoryEntry).where(DirectoryEntry.name == recipient.name))
    ).all()
    return named[0] if len(named) == 1 else None


def _stage_undeliverable(
    session: AsyncSession,
    amended: CaseRecordAmendedV1,
    recipient: CorrectionRecipientV1,
    reason: str,
) -> None:
    body = ReferralCorrectionUndeliverableV1(
        control_number=amended.control_number,
        amendment_id=amended.amendment_id,
        field=amended.field,
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        disclosed_at=recipient.disclosed_at,
        reason=reason,
        occurred_at=utcnow(),
    )
    event = make_event(SOURCE, REFERRAL_CORRECTION_UNDELIVERABLE_V1, body, amended.control_number)
    add_to_outbox(session, OutboxRecord, REFERRALS_TOPIC, event)


def _channels(entry: DirectoryEntry) -> list[str]:
    channels = [CHANNEL_KAFKA] if entry.kafka_enabled else []
    if entry.webhook_url and entry.webhook_secret:
        channels.append(CHANNEL_WEBHOOK)
    return channels


async def _already(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(
        select(CorrectionNotice.id).where(CorrectionNotice.idempotency_key == key)
    )
    return found is not None


async def _notify(
    session: AsyncSession,
    amended: CaseRecordAmendedV1,
    entry: DirectoryEntry,
    disclosed_at: datetime,
) -> int:
    """Stage one notice per channel not yet used for this amendment; returns webhooks queued."""
    now = utcnow()
    queued = 0
    for channel in _channels(entry):
        key = _key(amended.amendment_id, entry.id, channel)
        if await _already(session, key):
            continue
        body = ReferralCorrectionNoticeV1(
            notice_id=key,
            control_number=amended.control_number,
            recipient_id=entry.id,
            amendment_id=amended.amendment_id,
            field=amended.field,
            amended_at=amended.amended_at,
            disclosed_at=disclosed_at,
            sent_at=now,
        )
        if channel == CHANNEL_KAFKA:
            event = make_event(SOURCE, REFERRAL_CORRECTION_NOTICE_V1, body, subject=entry.id)
            add_to_outbox(session, OutboxRecord, REFERRALS_OUTBOUND_TOPIC, event)
        else:
            queued += 1
        session.add(
            CorrectionNotice(
                idempotency_key=key,
                control_number=amended.control_number,
                amendment_id=amended.amendment_id,
                recipient_id=entry.id,
                channel=channel,
                payload=json.dumps(body.model_dump(mode="json"), sort_keys=True),
                status=SENT if channel == CHANNEL_KAFKA else PENDING,
                attempts=0,
                next_attempt_at=None if channel == CHANNEL_KAFKA else now,
                created_at=now,
                sent_at=now if channel == CHANNEL_KAFKA else None,
            )
        )
    return queued


async def stage_notices(session: AsyncSession, amended: CaseRecordAmendedV1) -> int:
    """Everything one amendment causes, in the caller's transaction; returns webhooks queued.
    A directory entry the record went to twice is told once (its earliest disclosure)."""
    reached: dict[str, tuple[DirectoryEntry, datetime]] = {}
    for recipient in sorted(amended.recipients, key=lambda r: r.disclosed_at):
        entry = await _find(session, recipient)
        if entry is None:
            _stage_undeliverable(session, amended, recipient, NOT_IN_DIRECTORY)
        elif entry.disabled:
            _stage_undeliverable(session, amended, recipient, DISABLED)
        elif not _channels(entry):
            _stage_undeliverable(session, amended, recipient, NO_CHANNEL)
        else:
            reached.setdefault(entry.id, (entry, recipient.disclosed_at))
    queued = 0
    for entry, disclosed_at in reached.values():
        queued += await _notify(session, amended, entry, disclosed_at)
    return queued


class CorrectionNotices:
    """The `case.record-amended` handler: the inbox drops a redelivered event, the notices'
    unique keys drop a second event about the same amendment."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
        on_webhooks_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._on_commit = on_commit
        self._on_webhooks_queued = on_webhooks_queued

    async def handle(self, event: CloudEvent) -> None:
        amended = CaseRecordAmendedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if not await claim_event(uow.session, InboxRecord, event):
                return
            queued = await stage_notices(uow.session, amended)
            await uow.commit()
        self._on_commit()
        if queued:
            self._on_webhooks_queued()


@dataclass(frozen=True)
class _Due:
    id: int
    url: str
    secret: str
    payload: str
    key: str


class CorrectionWebhookSender:
    """Posts pending webhook notices, signed, with the notice id as the Idempotency-Key; a
    retryable failure waits `base_delay` doubled per attempt, up to `max_attempts`; a refusal
    or the last failure marks the notice failed and reports it undeliverable."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        timeout: float = 10.0,
        *,
        on_commit: Callable[[], None] = lambda: None,
        max_attempts: int = 8,
        base_delay: timedelta = timedelta(seconds=30),
        poll_seconds: float = 30.0,
    ) -> None:
        self._session_factory = session_factory
        self._timeout = timeout
        self._on_commit = on_commit
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def _due(self, now: datetime, limit: int) -> list[_Due]:
        async with self._session_factory() as session:
            rows = await session.execute(
                select(CorrectionNotice, DirectoryEntry)
                .join(DirectoryEntry, DirectoryEntry.id == CorrectionNotice.recipient_id)
                .where(CorrectionNotice.status == PENDING, CorrectionNotice.next_attempt_at <= now)
                .order_by(CorrectionNotice.next_attempt_at, CorrectionNotice.id)
                .limit(limit)
            )
            return [
                _Due(
                    notice.id,
                    entry.webhook_url or "",
                    entry.webhook_secret or "",
                    notice.payload,
                    notice.idempotency_key,
                )
                for notice, entry in rows
            ]

    async def deliver_due(self, now: datetime | None = None, limit: int = 50) -> int:
        """One pass over the notices due by `now`; returns how many were sent."""
        sent = 0
        for due in await self._due(now or utcnow(), limit):
            error: str | None = None
            final = False
            try:
                if not due.url or not due.secret:
                    raise ApplicationError("the webhook was removed", non_retryable=True)
                await webhooks.post_signed(
                    due.url,
                    due.secret,
                    due.payload.encode(),
                    due.key,
                    int(utcnow().timestamp()),
                    self._timeout,
                )
            except ApplicationError as refused:
                error, final = str(refused), refused.non_retryable
            except httpx.HTTPError as unreachable:
                error = f"{type(unreachable).__name__}: {unreachable}"
            await self._record(due.id, error, final)
            sent += error is None
        return sent

    async def _record(self, notice_id: int, error: str | None, final: bool) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            notice = await uow.session.get(CorrectionNotice, notice_id)
            if notice is None or notice.status != PENDING:
                return
            now = utcnow()
            notice.attempts += 1
            notice.last_error = error
            if error is None:
                notice.status, notice.sent_at, notice.next_attempt_at = SENT, now, None
            elif final or notice.attempts >= self._max_attempts:
                notice.status, notice.next_attempt_at = FAILED, None
                await self._report_failed(uow.session, notice, error)
            else:
                notice.next_attempt_at = now + self._base_delay * 2 ** (notice.attempts - 1)
            failed = notice.status == FAILED
            await uow.commit()
        if failed:
            self._on_commit()

    @staticmethod
    async def _report_failed(session: AsyncSession, notice: CorrectionNotice, error: str) -> None:
        entry = await session.get(DirectoryEntry, notice.recipient_id)
        assert entry is not None  # a foreign key
        body = ReferralCorrectionNoticeV1.model_validate_json(notice.payload)
        amended = CaseRecordAmendedV1(
            control_number=body.control_number,
            amendment_request_id=0,
            amendment_id=body.amendment_id,
            field=body.field,
            amended_at=body.amended_at,
            recipients=[],
        )
        recipient = CorrectionRecipientV1(
            name=entry.name, address=entry.postal_address, disclosed_at=body.disclosed_at
        )
        _stage_undeliverable(
            session, amended, recipient, f"the webhook failed ({error}): tell it by letter"
        )

    async def run(self) -> None:
        while True:
            # Cleared first: a notice queued during the pass wakes the next one at once.
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                raise_if_cancelling()
                log.exception("correction webhook pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
