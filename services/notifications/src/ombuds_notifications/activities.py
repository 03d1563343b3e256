"""Temporal activities hosted by notifications; each is idempotent, keyed by case and step."""

import asyncio
from collections.abc import Callable

import aiosmtplib
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ombuds_notifications import service
from ombuds_notifications.catalogue import AGENCY_REFERRAL, STAFF_ESCALATION
from ombuds_notifications.config import Settings
from ombuds_notifications.models import Message
from ombuds_notifications.rendering import (
    ACKNOWLEDGEMENT,
    ACKNOWLEDGEMENT_LETTER,
    RenderedMessage,
    format_date,
    html_alternative,
    render,
    render_letter,
)
from ombuds_notifications.smtp import OutgoingEmail, RecipientRefusedError, SmtpServer, send_email
from ombuds_shared.contracts import (
    PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    SEND_REFERRAL_EMAIL_ACTIVITY,
    SEND_STAFF_ESCALATION_ACTIVITY,
    AcknowledgementResult,
    LetterResult,
    PrepareAcknowledgementLetter,
    ReferralEmailResult,
    SendAcknowledgement,
    SendReferralEmail,
    SendStaffEscalation,
    StaffEscalationResult,
)
from ombuds_shared.db import UnitOfWork, utcnow

_HEARTBEAT_STEP_SECONDS = 0.2
# After the mail server accepted a message: about 6 s of attempts to record it (0.2 s doubling).
_RECORD_SENT_ATTEMPTS = 5
_RECORD_SENT_FIRST_DELAY_SECONDS = 0.2


class NotificationActivities:
    """The send activities; `on_commit` wakes the outbox relay after a message is recorded."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._smtp = SmtpServer.from_url(settings.smtp_url)
        self._on_commit = on_commit

    @activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
    async def send_acknowledgement(self, request: SendAcknowledgement) -> AcknowledgementResult:
        """Email the acknowledgement once, however often Temporal retries this activity."""
        rendered = render(
            ACKNOWLEDGEMENT,
            request.language,
            control_number=request.control_number,
            recipient_name=request.recipient_name,
            kind=request.kind,
            status_url=self._settings.status_url,
        )
        claim = await self._claim(request, rendered)
        message = claim.message
        if claim.already_sent:
            assert message.sent_at is not None
            activity.logger.info("acknowledgement %s was already sent", message.message_id)
            return AcknowledgementResult(
                message_id=message.message_id, already_sent=True, sent_at=message.sent_at
            )
        if not service.is_deliverable_address(message.recipient):
            await self._record_failure(message.message_id, "not an email address", permanent=True)
            raise ApplicationError(
                "the recipient is not a valid email address",
                type="RecipientRefused",
                non_retryable=True,
            )
        await self._fault_pause()
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=request.control_number,
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name=request.recipient_name,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
        )
        try:
            await send_email(self._smtp, outgoing)
        except RecipientRefusedError as error:
            await self._record_failure(message.message_id, str(error), permanent=True)
            raise ApplicationError(
                f"the mail server permanently refused the recipient (SMTP {error.code})",
                type="RecipientRefused",
                non_retryable=True,
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            await self._record_failure(
                message.message_id, f"{type(error).__name__}: {error}", permanent=False
            )
            raise
        sent = await self._record_sent(message.message_id)
        assert sent.sent_at is not None
        activity.logger.info("acknowledgement %s sent", sent.message_id)
        return AcknowledgementResult(
            message_id=sent.message_id, already_sent=False, sent_at=sent.sent_at
        )

    @activity.defn(name=PREPARE_ACKNOWLEDGEMENT_LETTER_ACTIVITY)
    async def prepare_acknowledgement_letter(
        self, request: PrepareAcknowledgementLetter
    ) -> LetterResult:
        """Render the printable acknowledgement once and log it for staff to print and post."""
        address_lines = [line.strip() for line in request.address_lines if line.strip()]
        if not address_lines:
            raise ApplicationError(
                "an acknowledgement letter needs a postal address",
                type="NoPostalAddress",
                non_retryable=True,
            )
        today = utcnow().date()
        rendered = render_letter(
            ACKNOWLEDGEMENT_LETTER,
            request.language,
            control_number=request.control_number,
            kind=request.kind,
            channel=request.channel,
            recipient_name=request.recipient_name.strip(),
            address_lines=address_lines,
            letter_date=today,
            letter_date_text=format_date(today, request.language),
        )
        key = service.acknowledgement_letter_key(request.control_number)
        # Two attempts can race: the unique key lets one insert win; the other finds its row.
        for _ in range(3):
            async with UnitOfWork(self._session_factory) as uow:
                claim = await service.prepare_letter(
                    uow.session, key, request.control_number, request.recipient_name, rendered
                )
                if claim.already_prepared:
                    activity.logger.info(
                        "acknowledgement letter %s was already prepared", claim.message.message_id
                    )
                    return LetterResult(message_id=claim.message.message_id, already_prepared=True)
                try:
                    await uow.commit()
                except IntegrityError:
                    continue
            activity.logger.info(
                "acknowledgement letter %s ready to print", claim.message.message_id
            )
            return LetterResult(message_id=claim.message.message_id, already_prepared=False)
        raise ApplicationError("could not record the letter; will retry", type="ClaimConflict")

    @activity.defn(name=SEND_STAFF_ESCALATION_ACTIVITY)
    async def send_staff_escalation(self, request: SendStaffEscalation) -> StaffEscalationResult:
        """Email a supervisor that a case is overdue, once per case and step."""
        rendered = render(
            STAFF_ESCALATION,
            request.language,
            control_number=request.control_number,
            overdue=request.overdue,
            due_at=format_date(request.due_at.date(), request.language),
            case_url=request.case_url,
        )
        key = service.escalation_key(request.control_number, request.step)
        claim = await self._claim_key(
            key, request.control_number, request.supervisor_email, rendered
        )
        message = claim.message
        if claim.already_sent:
            return StaffEscalationResult(message_id=message.message_id, already_sent=True)
        if not service.is_deliverable_address(message.recipient):
            await self._record_failure(message.message_id, "not an email address", permanent=True)
            raise ApplicationError(
                "the supervisor address is not a valid email address",
                type="RecipientRefused",
                non_retryable=True,
            )
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=request.control_number,
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name="",
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            html=html_alternative(rendered),
        )
        try:
            await send_email(self._smtp, outgoing)
        except RecipientRefusedError as error:
            await self._record_failure(message.message_id, str(error), permanent=True)
            raise ApplicationError(
                f"the mail server permanently refused the supervisor (SMTP {error.code})",
                type="RecipientRefused",
                non_retryable=True,
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            await self._record_failure(
                message.message_id, f"{type(error).__name__}: {error}", permanent=False
            )
            raise
        await self._record_sent(message.message_id)
        return StaffEscalationResult(message_id=message.message_id, already_sent=False)

    @activity.defn(name=SEND_REFERRAL_EMAIL_ACTIVITY)
    async def send_referral_email(self, request: SendReferralEmail) -> ReferralEmailResult:
        """Email a referral (or its reminder or recall) to an office or agency, once per
        referral, action and channel however often the workflow retries."""
        rendered = render(
            AGENCY_REFERRAL,
            "en",
            control_number=request.control_number,
            recipient_name=request.recipient_name or request.recipient_id,
            referral_id=request.referral_id,
            action=request.action,
            purpose=request.purpose,
            nature=request.nature,
            deadline=format_date(request.deadline.date(), "en") if request.deadline else None,
        )
        key = service.referral_email_key(request.idempotency_key)
        claim = await self._claim_key(
            key, request.control_number, request.recipient_email, rendered
        )
        message = claim.message
        if claim.already_sent:
            return ReferralEmailResult(message_id=message.message_id, already_sent=True)
        if not service.is_deliverable_address(message.recipient):
            await self._record_failure(message.message_id, "not an email address", permanent=True)
            raise ApplicationError(
                "the recipient's address is not a valid email address",
                type="RecipientRefused",
                non_retryable=True,
            )
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=request.control_number,
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name=request.recipient_name,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            html=html_alternative(rendered),
        )
        try:
            await send_email(self._smtp, outgoing)
        except RecipientRefusedError as error:
            await self._record_failure(message.message_id, str(error), permanent=True)
            raise ApplicationError(
                f"the mail server permanently refused the recipient (SMTP {error.code})",
                type="RecipientRefused",
                non_retryable=True,
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            await self._record_failure(
                message.message_id, f"{type(error).__name__}: {error}", permanent=False
            )
            raise
        async with UnitOfWork(self._session_factory) as uow:
            await service.mark_sent(uow.session, message.message_id)
            await uow.commit()
        if self._on_commit is not None:
            self._on_commit()
        return ReferralEmailResult(message_id=message.message_id, already_sent=False)

    async def _claim(
        self, request: SendAcknowledgement, rendered: RenderedMessage
    ) -> service.Claim:
        return await self._claim_key(
            service.acknowledgement_key(request.control_number),
            request.control_number,
            str(request.recipient_email),
            rendered,
        )

    async def _claim_key(
        self, key: str, control_number: str, recipient: str, rendered: RenderedMessage
    ) -> service.Claim:
        # Two attempts can race (a timed-out attempt still running beside its retry): the
        # unique idempotency key lets one insert win and the other resume that row.
        for _ in range(3):
            async with UnitOfWork(self._session_factory) as uow:
                claim = await service.claim_message(
                    uow.session, key, control_number, recipient, rendered
                )
                try:
                    await uow.commit()
                except IntegrityError:
                    continue
                return claim
        raise ApplicationError("could not record the message; will retry", type="ClaimConflict")

    async def _record_sent(self, message_id: str) -> Message:
        """Record a message the mail server accepted, retrying a failing database here.

        Raising now would make Temporal retry the whole activity, and the retry would send the
        email again (the row still says `sending`). Only a database down for longer than
        these attempts, or the worker dying in between, leaves that window open; the copy then
        carries the same Message-ID, so a mail client shows it once.
        """
        delay = _RECORD_SENT_FIRST_DELAY_SECONDS
        for attempt in range(1, _RECORD_SENT_ATTEMPTS + 1):
            try:
                async with UnitOfWork(self._session_factory) as uow:
                    sent = await service.mark_sent(uow.session, message_id)
                    await uow.commit()
            except (OperationalError, InterfaceError):
                if attempt == _RECORD_SENT_ATTEMPTS:
                    raise
                activity.logger.warning(
                    "recording sent message %s failed (attempt %d); retrying", message_id, attempt
                )
                activity.heartbeat()
                await asyncio.sleep(delay)
                delay *= 2
                continue
            if self._on_commit is not None:
                self._on_commit()
            return sent
        raise AssertionError("unreachable")

    async def _record_failure(self, message_id: str, error: str, permanent: bool) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            await service.record_failure(uow.session, message_id, error, permanent)
            await uow.commit()
        if permanent and self._on_commit is not None:
            # A permanent failure staged `notification.failed`: wake the relay.
            self._on_commit()

    async def _fault_pause(self) -> None:
        remaining = self._settings.fault_pause_before_send_seconds
        while remaining > 0:
            activity.heartbeat()
            step = min(_HEARTBEAT_STEP_SECONDS, remaining)
            await asyncio.sleep(step)
            remaining -= step
