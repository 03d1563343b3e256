"""Notification decisions: one message per purpose, sent at most once, announced once."""

from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_notifications import repository
from ombuds_notifications.models import (
    RECIPIENT_LENGTH,
    STATUS_BOUNCED,
    STATUS_CALL_REQUIRED,
    STATUS_FAILED,
    STATUS_READY_TO_PRINT,
    STATUS_SENDING,
    STATUS_SENT,
    SUBJECT_LENGTH,
    Message,
    OutboxRecord,
)
from ombuds_notifications.rendering import RenderedMessage
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    NOTIFICATION_FAILED_V1,
    NOTIFICATION_SENT_V1,
    NOTIFICATIONS_TOPIC,
    NotificationFailedV1,
    NotificationSentV1,
    make_event,
)
from ombuds_shared.http import ConflictError, NotFoundError
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/notifications"
EMAIL_CHANNEL = "email"
LETTER_CHANNEL = "letter"
# A phone submission without a postal address: the log tells staff to call.
PHONE_CHANNEL = "phone"
MAX_ERROR_LENGTH = 2000
_PAPER_CHANNELS = frozenset({LETTER_CHANNEL, PHONE_CHANNEL})


class MessageNotFoundError(NotFoundError):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"No message {message_id}.")


class LetterNotFoundError(NotFoundError):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"No letter {message_id}.")


class NotAnEmailError(ConflictError):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"Message {message_id} is not an email: only an email can bounce.")


@dataclass(frozen=True)
class LetterClaim:
    message: Message
    already_prepared: bool


@dataclass(frozen=True)
class Claim:
    message: Message
    already_sent: bool


def acknowledgement_key(control_number: str) -> str:
    return f"{control_number}:acknowledgement"


def acknowledgement_letter_key(control_number: str) -> str:
    return f"{control_number}:acknowledgement-letter"


def escalation_key(control_number: str, step: str) -> str:
    return f"{control_number}:escalation:{step}"


def referral_email_key(idempotency_key: str) -> str:
    """`<referral id>:<action>:email`, as the Referral workflow names the delivery."""
    return f"referral:{idempotency_key}"


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


async def prepare_letter(
    session: AsyncSession,
    idempotency_key: str,
    control_number: str,
    recipient_name: str,
    rendered: RenderedMessage,
    channel: str = LETTER_CHANNEL,
) -> LetterClaim:
    """Record the one letter (or call note) for `idempotency_key`; a prepared one is kept."""
    existing = await repository.by_idempotency_key(session, idempotency_key)
    if existing is not None:
        return LetterClaim(message=existing, already_prepared=True)
    now = utcnow()
    message = Message(
        message_id=str(uuid4()),
        idempotency_key=idempotency_key,
        control_number=control_number,
        channel=channel,
        template=rendered.template,
        language=rendered.language,
        # Letters go to a person at a postal address; the name is what staff search by.
        recipient=recipient_name.strip()[:RECIPIENT_LENGTH],
        subject=rendered.subject[:SUBJECT_LENGTH],
        status=STATUS_READY_TO_PRINT if channel == LETTER_CHANNEL else STATUS_CALL_REQUIRED,
        attempts=1,
        body=rendered.body,
        created_at=now,
    )
    session.add(message)
    return LetterClaim(message=message, already_prepared=False)


async def letter(session: AsyncSession, message_id: str) -> Message:
    """The printable letter (or call note) `message_id`; an email or nothing is not found."""
    message = await repository.by_message_id(session, message_id)
    if message is None or message.channel not in _PAPER_CHANNELS or message.body is None:
        raise LetterNotFoundError(message_id)
    return message


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
    """Keep the attempt's error; a permanent one ends the message as failed and announces it."""
    message = await _get(session, message_id)
    if message.status in (STATUS_SENT, STATUS_FAILED, STATUS_BOUNCED):
        return message
    message.error = error[:MAX_ERROR_LENGTH]
    if permanent:
        message.status = STATUS_FAILED
        _announce_failure(session, message)
    return message


async def record_bounce(session: AsyncSession, message_id: str, reason: str) -> Message:
    """A mail provider says the email never arrived: mark it bounced, announce it once."""
    message = await _get(session, message_id)
    if message.channel != EMAIL_CHANNEL:
        raise NotAnEmailError(message_id)
    if message.status == STATUS_BOUNCED:
        return message
    message.status = STATUS_BOUNCED
    message.error = reason[:MAX_ERROR_LENGTH]
    _announce_failure(session, message)
    return message


def _announce_failure(session: AsyncSession, message: Message) -> None:
    # A one-time code is not part of the case's record (and may have no case): nothing to show.
    if not message.control_number or message.template.startswith("verification_"):
        return
    body = NotificationFailedV1(
        control_number=message.control_number,
        message_id=message.message_id,
        template=message.template,
        channel=message.channel,
        status="bounced" if message.status == STATUS_BOUNCED else "failed",
        reason=message.error or "",
        attempts=message.attempts,
        failed_at=utcnow(),
    )
    event = make_event(EVENT_SOURCE, NOTIFICATION_FAILED_V1, body, message.control_number)
    add_to_outbox(session, OutboxRecord, NOTIFICATIONS_TOPIC, event)


async def find_messages(
    session: AsyncSession,
    recipient: str | None,
    control_number: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Message], int]:
    """A page of the delivery log by recipient and/or control number, newest first, and the total."""
    # Emails are logged under the normalised address, letters under the name as written.
    recipients = (
        sorted({normalise_address(recipient), recipient.strip()}) if recipient is not None else None
    )
    number = _canonical_control_number(control_number) if control_number is not None else None
    items = await repository.find(session, recipients, number, limit, offset)
    total = await repository.count(session, recipients, number)
    return items, total


def _canonical_control_number(text: str) -> str:
    try:
        return parse_control_number(text)
    except InvalidControlNumber:
        # Not ours to judge here: an unknown number simply matches nothing.
        return text.strip()
