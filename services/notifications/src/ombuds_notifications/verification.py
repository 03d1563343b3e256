"""Emails one-time codes and links (`verification.code-issued`) from intake.

Consumed from Kafka, not run as an activity: a code is only worth sending while it is fresh.
At most one message per verification (`verification:<id>` in the delivery log) and one inbox
row per event make a redelivered or repeated event send nothing new.
"""

import logging
import math

import aiosmtplib
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_notifications import repository, service
from ombuds_notifications.config import Settings
from ombuds_notifications.models import InboxRecord
from ombuds_notifications.rendering import RenderedMessage, render
from ombuds_notifications.smtp import OutgoingEmail, RecipientRefusedError, SmtpServer, send_email
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import CloudEvent, VerificationCodeIssuedV1
from ombuds_shared.inbox import claim_event

log = logging.getLogger(__name__)


def verification_key(verification_id: str) -> str:
    return f"verification:{verification_id}"


def verification_template(purpose: str) -> str:
    return f"verification_{purpose}"


class VerificationMailer:
    """The `verification.code-issued` handler."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._smtp = SmtpServer.from_url(settings.smtp_url)

    async def handle(self, event: CloudEvent) -> None:
        """Send the code once; raise (so the consumer retries) only on a passing SMTP failure."""
        issued = VerificationCodeIssuedV1.model_validate(event.data)
        if await self._already_applied(event):
            return
        now = utcnow()
        if issued.expires_at <= now:
            # A code that has expired (a long broker outage) would only confuse: drop it.
            log.info("verification %s expired before it could be sent", issued.verification_id)
            await self._finish(event, None)
            return
        minutes = max(1, math.ceil((issued.expires_at - now).total_seconds() / 60))
        rendered = render(
            verification_template(issued.purpose),
            issued.language,
            recipient_name=issued.recipient_name,
            code=issued.code,
            link=issued.link,
            control_number=issued.control_number or "",
            minutes=minutes,
        )
        claim = await self._claim(issued, rendered)
        if claim.already_sent:
            await self._finish(event, None)
            return
        message = claim.message
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=issued.control_number or "",
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name=issued.recipient_name or "",
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
        )
        if not service.is_deliverable_address(message.recipient):
            await self._fail(event, message.message_id, "not an email address")
            return
        try:
            await send_email(self._smtp, outgoing)
        except RecipientRefusedError as error:
            await self._fail(event, message.message_id, str(error))
            return
        except (aiosmtplib.SMTPException, OSError) as error:
            async with UnitOfWork(self._session_factory) as uow:
                await service.record_failure(
                    uow.session, message.message_id, f"{type(error).__name__}: {error}", False
                )
                await uow.commit()
            raise
        await self._finish(event, message.message_id)

    async def _already_applied(self, event: CloudEvent) -> bool:
        async with self._session_factory() as session:
            return await session.get(InboxRecord, event.id) is not None

    async def _claim(
        self, issued: VerificationCodeIssuedV1, rendered: RenderedMessage
    ) -> service.Claim:
        return await self._claim_key(
            verification_key(issued.verification_id),
            issued.control_number or "",
            str(issued.recipient_email),
            rendered,
        )

    async def _claim_key(
        self, key: str, control_number: str, recipient: str, rendered: RenderedMessage
    ) -> service.Claim:
        # Two deliveries can race (a rebalance): the unique key lets one insert win.
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
        raise RuntimeError(f"could not record message {key}")

    async def _finish(self, event: CloudEvent, sent_message_id: str | None) -> None:
        """Record the event as applied, and the message as sent, in one transaction."""
        async with UnitOfWork(self._session_factory) as uow:
            if sent_message_id is not None:
                # No `notification.sent` event: a code is not part of the case's record.
                await repository.set_sent_unless_sent(uow.session, sent_message_id, utcnow())
            await claim_event(uow.session, InboxRecord, event)
            try:
                await uow.commit()
            except IntegrityError:
                # The same event applied concurrently; its row is already there.
                return

    async def _fail(self, event: CloudEvent, message_id: str, error: str) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            await service.record_failure(uow.session, message_id, error, permanent=True)
            await claim_event(uow.session, InboxRecord, event)
            await uow.commit()
