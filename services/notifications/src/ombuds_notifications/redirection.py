"""Tells the submitter where to turn when staff redirect a case (`case.redirected`): DHS
TRIP's redress process, or the outside agency to contact.

Like one-time codes, sent from the event, once: one message per case and step
(`redirected:<control number>` in the delivery log), one inbox row per event. Anonymous
submissions have no address and get nothing. A submission that came on paper (mail, fax,
comment card, a phone call) is answered on paper, as every lifecycle message is: a printable
letter from the case's contact copy (contacts.py), or a note for staff to call. A sent email
is announced as `notification.sent`, for the case's timeline.
"""

import aiosmtplib

from ombuds_notifications import contacts, service
from ombuds_notifications.models import CaseContact, InboxRecord
from ombuds_notifications.rendering import RenderedMessage, lifecycle_letter, render
from ombuds_notifications.smtp import OutgoingEmail, RecipientRefusedError, send_email
from ombuds_notifications.verification import VerificationMailer
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import CaseRedirectedV1, CloudEvent
from ombuds_shared.inbox import claim_event


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
        if redirected.anonymous:
            await self._finish(event, None)
            return
        async with self._session_factory() as session:
            contact = await contacts.contact_for(session, redirected.control_number)
        paper = contacts.paper_channel(contact) if contact is not None else None
        if contact is not None and paper is not None and not contact.anonymous:
            await self._record_paper(event, redirected, contact, paper)
            return
        if redirected.recipient_email is None:
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

    async def _record_paper(
        self, event: CloudEvent, redirected: CaseRedirectedV1, contact: CaseContact, channel: str
    ) -> None:
        number = redirected.control_number
        rendered = render(
            redirection_template(redirected.to),
            contact.language,
            recipient_name=contact.name,
            control_number=number,
            agency_name=redirected.agency_name or "",
        )
        body = lifecycle_letter(
            rendered, number, contact.name, list(contact.address_lines), utcnow().date()
        )
        letter = RenderedMessage(rendered.template, rendered.language, rendered.subject, body)
        async with UnitOfWork(self._session_factory) as uow:
            await service.prepare_letter(
                uow.session, redirection_key(number), number, contact.name, letter, channel=channel
            )
            await claim_event(uow.session, InboxRecord, event)
            await uow.commit()

    async def _finish(self, event: CloudEvent, sent_message_id: str | None) -> None:
        """Record the event as applied and the email as sent, announcing it for the case."""
        async with UnitOfWork(self._session_factory) as uow:
            if sent_message_id is not None:
                await service.mark_sent(uow.session, sent_message_id)
            await claim_event(uow.session, InboxRecord, event)
            await uow.commit()
