"""Notification decisions: one message per purpose, sent at most once, announced once."""

from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_notifications import repository
from ombuds_notifications.models import (
    STATUS_FAILED,
    STATUS_SENDING,
    STATUS_SENT,
    Message,
    OutboxRecord,
)
from ombuds_notifications.rendering import RenderedMessage
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    NOTIFICATION_SENT_V1,
    NOTIFICATIONS_TOPIC,
    NotificationSentV1,
    make_event,
)
from ombuds_shared.http import NotFoundError
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/notifications"
EMAIL_CHANNEL = "email"
MAX_ERROR_LENGTH = 2000


class MessageNotFoundError(NotFoundError):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"No message {message_id}.")


@dataclass(frozen=True)
class Claim:
    message: Message
    already_sent: bool


def acknowledgement_key(control_number: str) -> str:
    return f"{control_number}:acknowledgement"


def normalise_address(address: str) -> str:
    return address.strip().lower()


def is_deliverable_address(address: str) -> bool:
    """Whether `address` fits in an SMTP envelope; the mail server judges the rest."""
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or "@" in local:
        return False
    return not any(char.isspace() or not char.isprintable() for char in address)


async def claim_message(
    session: AsyncSession,
    idempotency_key: str,
    control_number: str,
    recipient: str,
    rendered: RenderedMessage,
) -> Claim:
    """Start or resume the one message for `idempotency_key`; a sent one is never sent again."""
    message = await repository.by_idempotency_key(session, idempotency_key)
    if message is not None and message.status == STATUS_SENT:
        return Claim(message=message, already_sent=True)
    if message is None:
        message = Message(
            message_id=str(uuid4()),
            idempotency_key=idempotency_key,
            control_number=control_number,
            channel=EMAIL_CHANNEL,
            attempts=0,
            created_at=utcnow(),
        )
        session.add(message)
    # A resumed message keeps its id (and so its Message-ID header) but takes this attempt's
    # content, in case the address or language was corrected in between.
    message.template = rendered.template
    message.language = rendered.language
    message.recipient = normalise_address(recipient)
    message.subject = rendered.subject
    message.status = STATUS_SENDING
    message.attempts += 1
    return Claim(message=message, already_sent=False)


async def _get(session: AsyncSession, message_id: str) -> Message:
    message = await repository.by_message_id(session, message_id)
    if message is None:
        raise MessageNotFoundError(message_id)
    return message


async def mark_sent(session: AsyncSession, message_id: str) -> Message:
    """Record the delivery and stage its `notification.sent` event (only the first time)."""
    # A conditional update, not read-then-write: of two attempts finishing together, only
    # the one whose update matches stages the event.
    newly_sent = await repository.set_sent_unless_sent(session, message_id, utcnow())
    message = await _get(session, message_id)
    if not newly_sent:
        return message
    assert message.sent_at is not None
    body = NotificationSentV1(
        control_number=message.control_number,
        message_id=message.message_id,
        template=message.template,
        channel=message.channel,
        sent_at=message.sent_at,
    )
    event = make_event(EVENT_SOURCE, NOTIFICATION_SENT_V1, body, message.control_number)
    add_to_outbox(session, OutboxRecord, NOTIFICATIONS_TOPIC, event)
    return message


async def record_failure(
    session: AsyncSession, message_id: str, error: str, permanent: bool
) -> Message:
    """Keep the attempt's error; a permanent one ends the message as failed."""
    message = await _get(session, message_id)
    if message.status == STATUS_SENT:
        return message
    message.error = error[:MAX_ERROR_LENGTH]
    if permanent:
        message.status = STATUS_FAILED
    return message


async def messages_for_recipient(
    session: AsyncSession, recipient: str, limit: int, offset: int
) -> tuple[list[Message], int]:
    """A page of the delivery log for one address, newest first, and the total."""
    address = normalise_address(recipient)
    items = await repository.for_recipient(session, address, limit, offset)
    total = await repository.count_for_recipient(session, address)
    return items, total
