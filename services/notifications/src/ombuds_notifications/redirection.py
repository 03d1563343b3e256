"""Tells the submitter where to turn when staff redirect a case (`case.redirected`): DHS
TRIP's redress process, or the outside agency to contact.

Like one-time codes, sent from the event, once: one message per case and step
(`redirected:<control number>` in the delivery log), one inbox row per event. Anonymous
submissions have no address and get nothing.
"""

import aiosmtplib

from ombuds_notifications import service
from ombuds_notifications.rendering import render
from ombuds_notifications.smtp import OutgoingEmail, RecipientRefusedError, send_email
from ombuds_notifications.verification import VerificationMailer
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import CaseRedirectedV1, CloudEvent


def redirection_key(control_number: str) -> str:
    return f"redirected:{control_number}"


def redirection_template(to: str) -> str:
    return f"redirected_{to}"


class RedirectionMailer(VerificationMailer):
    """The `case.redirected` handler; shares the code mailer's inbox and delivery-log steps."""

    async def handle(self, event: CloudEvent) -> None:
        redirected = CaseRedirectedV1.model_validate(event.data)
        if await self._already_applied(event):
            return
        if redirected.anonymous or redirected.recipient_email is None:
            await self._finish(event, None)
            return
        rendered = render(
            redirection_template(redirected.to),
            redirected.language,
            recipient_name=redirected.recipient_name,
            control_number=redirected.control_number,
            agency_name=redirected.agency_name or "",
        )
        claim = await self._claim_key(
            redirection_key(redirected.control_number),
            redirected.control_number,
            str(redirected.recipient_email),
            rendered,
        )
        if claim.already_sent:
            await self._finish(event, None)
            return
        message = claim.message
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            control_number=redirected.control_number,
            sender=self._settings.sender,
            recipient=message.recipient,
            recipient_name=redirected.recipient_name or "",
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
        )
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
