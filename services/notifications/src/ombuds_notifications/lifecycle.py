"""Lifecycle messages: each case step the submitter should hear about, in the channel they used.

Consumed from Kafka (`SUBMISSIONS_TOPIC` for the contact copy, `CASES_TOPIC` and
`REFERRALS_TOPIC` for the steps). Which steps are worth a message, so nobody is spammed:

| event | message | step key (one message per key) |
| --- | --- | --- |
| `case.information-requested` | request_for_information, with the reply link | each request |
| `case.status-changed` to `assigned`, the first time | status_update | once per case |
| `referral.created` to a DHS component or outside agency | referral | each referral |
| `case.closed` | closure (disposition and resolution) | each closure |
| `case.withdrawn` | withdrawal | once per case |
| `case.reopened` | reopening | each reopening |

Every other move (triage, reassignment, internal referrals, notes) sends nothing. Channels
follow the PIA Overview: email for web and email submissions, a printable letter for mail,
fax and comment cards, and for a phone call a letter when there is a postal address, else a
note in the delivery log that staff must call. Anonymous submissions get nothing.

A case event can come before its submission's contact copy (the topics are not ordered
together). It is then parked in `parked_events`, and the consumer moves on to the next event;
the submission event replays the case's parked events in arrival order once the contact is
stored. Parking and storing the contact each look for the other after committing, so one of
the two always sees both and nothing stays parked.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiosmtplib
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications import contacts, repository, service
from ombuds_notifications.catalogue import (
    CLOSURE,
    REFERRAL,
    REOPENING,
    REQUEST_FOR_INFORMATION,
    STATUS_UPDATE,
    WITHDRAWAL,
)
from ombuds_notifications.config import Settings
from ombuds_notifications.contacts import EMAIL_CHANNELS, paper_channel
from ombuds_notifications.models import CaseContact, InboxRecord, ParkedEvent
from ombuds_notifications.redirection import redirection_key
from ombuds_notifications.rendering import (
    RenderedMessage,
    html_alternative,
    lifecycle_letter,
    render,
)
from ombuds_notifications.smtp import OutgoingEmail, RecipientRefusedError, SmtpServer, send_email
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    CASE_CLOSED_V1,
    CASE_INFORMATION_REQUESTED_V1,
    CASE_REOPENED_V1,
    CASE_STATUS_CHANGED_V1,
    CASE_WITHDRAWN_V1,
    REFERRAL_CREATED_V1,
    SUBMISSION_RECEIVED_V1,
    SUBMISSION_RECEIVED_V2,
    CaseClosedV1,
    CaseInformationRequestedV1,
    CaseReopenedV1,
    CaseStatusChangedV1,
    CaseWithdrawnV1,
    CloudEvent,
    ReferralCreatedV1,
)
from ombuds_shared.inbox import claim_event

log = logging.getLogger(__name__)

# Referrals to CBP's own offices are internal routing; the person hears when it leaves CBP.
EXTERNAL_RECIPIENT_KINDS = frozenset({"dhs_component", "outside_agency"})
SUBMISSION_EVENTS = frozenset({SUBMISSION_RECEIVED_V1, SUBMISSION_RECEIVED_V2})
STEP_EVENTS = frozenset(
    {
        CASE_CLOSED_V1,
        CASE_INFORMATION_REQUESTED_V1,
        CASE_REOPENED_V1,
        CASE_STATUS_CHANGED_V1,
        CASE_WITHDRAWN_V1,
        REFERRAL_CREATED_V1,
    }
)


@dataclass(frozen=True)
class LifecycleStep:
    template: str
    # Unique within the case: a redelivered event names the same step, a new closure a new one.
    step: str
    variables: dict[str, Any] = field(default_factory=dict)


REDIRECTED_TO_DHS_TRIP = "redirected_to_dhs_trip"
_REPLAY_LOCK_STRIPES = 64


def step_for(event: CloudEvent, portal_url: str | None) -> LifecycleStep | None:
    """The message an event calls for, or None if it deserves none."""
    if event.type == CASE_CLOSED_V1:
        closed = CaseClosedV1.model_validate(event.data)
        return LifecycleStep(
            CLOSURE,
            f"closure:{closed.closed_at.isoformat()}",
            {"disposition": closed.disposition, "resolution": closed.reason},
        )
    if event.type == CASE_WITHDRAWN_V1:
        CaseWithdrawnV1.model_validate(event.data)
        return LifecycleStep(WITHDRAWAL, "withdrawal")
    if event.type == CASE_REOPENED_V1:
        reopened = CaseReopenedV1.model_validate(event.data)
        return LifecycleStep(
            REOPENING, f"reopening:{reopened.reopened_at.isoformat()}", {"reason": reopened.reason}
        )
    if event.type == CASE_STATUS_CHANGED_V1:
        # A move to awaiting_information comes with its own information-requested event.
        changed = CaseStatusChangedV1.model_validate(event.data)
        if changed.to_status == "assigned":
            return LifecycleStep(STATUS_UPDATE, "status-update:assigned", {"status": "assigned"})
        return None
    if event.type == CASE_INFORMATION_REQUESTED_V1:
        asked = CaseInformationRequestedV1.model_validate(event.data)
        url = portal_url.rstrip("/") + asked.reply_path if portal_url else None
        return LifecycleStep(
            REQUEST_FOR_INFORMATION,
            f"request-for-information:{asked.request_id}",
            {
                "question": asked.question,
                "reply_url": url,
                "due_date": asked.due_at.date().isoformat(),
            },
        )
    if event.type == REFERRAL_CREATED_V1:
        referral = ReferralCreatedV1.model_validate(event.data)
        if referral.recipient_kind not in EXTERNAL_RECIPIENT_KINDS:
            return None
        return LifecycleStep(
            REFERRAL, f"referral:{referral.referral_id}", {"agency": referral.recipient_name}
        )
    return None


def message_key(control_number: str, step: str) -> str:
    return f"{control_number}:{step}"


class LifecycleMessenger:
    """The handler for submission, case and referral events."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._smtp = SmtpServer.from_url(settings.smtp_url)
        # Wakes the outbox relay after a commit that staged an event.
        self._on_commit = on_commit
        # Replays of one case take turns (striped: a few locks, whatever the number of cases).
        self._replay_locks = [asyncio.Lock() for _ in range(_REPLAY_LOCK_STRIPES)]

    async def handle(self, event: CloudEvent) -> None:
        """Apply one event once; raise (so the consumer retries) only when a retry can help."""
        if event.type in SUBMISSION_EVENTS:
            if not await self._already_applied(event):
                async with UnitOfWork(self._session_factory) as uow:
                    await contacts.remember(uow.session, contacts.contact_from_event(event))
                    await self._commit_once(uow, event)
            # Also on a redelivery: a replay that failed (an SMTP outage) is retried from here.
            await self.replay_parked(event.subject)
            return
        if await self._already_applied(event):
            return
        step = step_for(event, self._settings.portal_url)
        if step is not None and step.template == CLOSURE and await self._redirected(event):
            # A redirection closes the case too; its own message already told the submitter
            # where to go, and a second "your case is closed" would only confuse.
            step = None
        contact = await self._contact(event.subject) if step is not None else None
        if step is not None and contact is None:
            await self._park(event)
            return
        if step is None or contact is None or contact.anonymous:
            await self._finish(event)
            return
        rendered = render(
            step.template,
            contact.language,
            control_number=event.subject,
            recipient_name=contact.name,
            **step.variables,
        )
        key = message_key(event.subject, step.step)
        paper = paper_channel(contact)
        if contact.channel in EMAIL_CHANNELS and contact.email:
            await self._email(event, key, contact, rendered)
        elif paper is not None:
            await self._record_paper(event, key, contact, rendered, paper)
        else:
            log.warning("no way to reach the submitter of %s; nothing sent", event.subject)
            await self._finish(event)

    async def _redirected(self, event: CloudEvent) -> bool:
        """Whether this closure is a redirection's: DHS TRIP's disposition, or a redirection
        message already claimed (it comes first: both events share a transaction and key)."""
        if event.data.get("disposition") == REDIRECTED_TO_DHS_TRIP:
            return True
        async with self._session_factory() as session:
            message = await repository.by_idempotency_key(session, redirection_key(event.subject))
        return message is not None

    async def _contact(self, control_number: str) -> CaseContact | None:
        async with self._session_factory() as session:
            return await contacts.contact_for(session, control_number)

    async def _park(self, event: CloudEvent) -> None:
        """Keep the event until the case's contact arrives; the consumer moves on meanwhile."""
        async with UnitOfWork(self._session_factory) as uow:
            parked = await uow.session.scalar(
                select(ParkedEvent.id).where(ParkedEvent.event_id == event.id)
            )
            if parked is None:
                uow.session.add(
                    ParkedEvent(
                        event_id=event.id,
                        control_number=event.subject,
                        event=event.model_dump(mode="json"),
                        parked_at=utcnow(),
                    )
                )
            # A concurrent redelivery may have parked it first: that is the same outcome.
            with contextlib.suppress(IntegrityError):
                await uow.commit()
        log.info("%s for %s parked until its contact arrives", event.type, event.subject)
        # The contact may have been stored after the lookup above, its replay looking for
        # parked events before this one committed: look again now that it has.
        if await self._contact(event.subject) is not None:
            await self.replay_parked(event.subject)

    async def replay_parked(self, control_number: str) -> None:
        """Apply the case's parked events in arrival order, now that its contact is known.

        Each is unparked only after it was applied (inbox row committed), so a failure leaves
        it and every later one parked for the next replay. Both consumers can replay the same
        case at once (the park's second look and the contact's arrival); a lock per case keeps
        them in turn, so the second finds the events applied and sends nothing again.
        """
        async with self._replay_locks[hash(control_number) % len(self._replay_locks)]:
            async with self._session_factory() as session:
                rows = await session.scalars(
                    select(ParkedEvent)
                    .where(ParkedEvent.control_number == control_number)
                    .order_by(ParkedEvent.id)
                )
                parked = [(row.id, CloudEvent.model_validate(row.event)) for row in rows.all()]
            for row_id, event in parked:
                await self.handle(event)
                async with UnitOfWork(self._session_factory) as uow:
                    await uow.session.execute(delete(ParkedEvent).where(ParkedEvent.id == row_id))
                    await uow.commit()

    async def _record_paper(
        self,
        event: CloudEvent,
        key: str,
        contact: CaseContact,
        rendered: RenderedMessage,
        channel: str,
    ) -> None:
        body = lifecycle_letter(
            rendered, event.subject, contact.name, list(contact.address_lines), utcnow().date()
        )
        letter = RenderedMessage(rendered.template, rendered.language, rendered.subject, body)
        async with UnitOfWork(self._session_factory) as uow:
            await service.prepare_letter(
                uow.session, key, event.subject, contact.name, letter, channel=channel
            )
            await self._commit_once(uow, event)

    async def _email(
        self, event: CloudEvent, key: str, contact: CaseContact, rendered: RenderedMessage
    ) -> None:
        assert contact.email is not None
        claim = await self._claim(key, event.subject, contact.email, rendered)
        if claim.already_sent:
            await self._finish(event)
            return
        message = claim.message
        if not service.is_deliverable_address(message.recipient):
            await self._fail(event, message.message_id, "not an email address")
            return
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=event.subject,
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name=contact.name,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            html=html_alternative(rendered),
        )
        try:
            await send_email(self._smtp, outgoing)
        except RecipientRefusedError as error:
            await self._fail(event, message.message_id, str(error))
            return
        except (aiosmtplib.SMTPException, OSError) as error:
            reason = f"{type(error).__name__}: {error}"
            retrying_for = utcnow() - message.created_at
            if retrying_for >= timedelta(seconds=self._settings.send_retry_seconds):
                await self._fail(event, message.message_id, reason)
                return
            async with UnitOfWork(self._session_factory) as uow:
                await service.record_failure(uow.session, message.message_id, reason, False)
                await uow.commit()
            raise
        async with UnitOfWork(self._session_factory) as uow:
            await service.mark_sent(uow.session, message.message_id)
            await self._commit_once(uow, event)

    async def _claim(
        self, key: str, control_number: str, email: str, rendered: RenderedMessage
    ) -> service.Claim:
        # Two deliveries can race (a rebalance): the unique key lets one insert win.
        for _ in range(3):
            async with UnitOfWork(self._session_factory) as uow:
                claim = await service.claim_message(
                    uow.session, key, control_number, email, rendered
                )
                try:
                    await uow.commit()
                except IntegrityError:
                    continue
                return claim
        raise RuntimeError(f"could not record message {key}")

    async def _already_applied(self, event: CloudEvent) -> bool:
        async with self._session_factory() as session:
            return await session.get(InboxRecord, event.id) is not None

    async def _fail(self, event: CloudEvent, message_id: str, reason: str) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            await service.record_failure(uow.session, message_id, reason, permanent=True)
            await self._commit_once(uow, event)

    async def _finish(self, event: CloudEvent) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            await self._commit_once(uow, event)

    async def _commit_once(self, uow: UnitOfWork, event: CloudEvent) -> None:
        """Record the event as applied with its effect; a concurrent twin already did both."""
        await claim_event(uow.session, InboxRecord, event)
        try:
            await uow.commit()
        except IntegrityError:
            return
        if self._on_commit is not None:
            self._on_commit()
