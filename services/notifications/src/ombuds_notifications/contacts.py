"""The per-case contact copy: who to write to, and how, for every later lifecycle message.

Taken from `submission.received` (v1 and v2) so no message needs to ask another service. It is
personal data: the retention purge deletes the row (see retention.py).
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_notifications import service
from ombuds_notifications.models import RECIPIENT_LENGTH, CaseContact
from ombuds_shared.events import (
    SUBMISSION_RECEIVED_V1,
    CloudEvent,
    SubmissionReceivedV1,
    SubmissionReceivedV2,
)

# How a submission came in decides how it is answered (PIA Overview).
EMAIL_CHANNELS = frozenset({"web", "email"})
LETTER_CHANNELS = frozenset({"letter", "mail", "fax", "comment_card"})
PHONE_CHANNEL = "phone"


def paper_channel(contact: CaseContact) -> str | None:
    """How a message reaches this submitter on paper: a letter for mail, fax and comment
    cards, and for a phone call with a postal address; a note to call for a phone call
    without one; None when the answer goes by email."""
    if contact.channel in LETTER_CHANNELS or (
        contact.channel == PHONE_CHANNEL and contact.address_lines
    ):
        return service.LETTER_CHANNEL
    if contact.channel == PHONE_CHANNEL:
        return service.PHONE_CHANNEL
    return None


def postal_address(contact: dict[str, Any]) -> list[str]:
    """The address block a letter is printed with (empty without a city), as cases prints it."""
    if not contact.get("city"):
        return []
    locality = " ".join(
        part
        for part in (
            str(contact.get("city", "")) + ",",
            contact.get("state_province"),
            contact.get("postal_code"),
        )
        if part
    )
    lines = (contact.get("street_address"), locality, contact.get("country"))
    return [str(line) for line in lines if line]


def contact_from_event(event: CloudEvent) -> CaseContact:
    """The contact record a `submission.received` event carries (nothing for an anonymous one)."""
    if event.type == SUBMISSION_RECEIVED_V1:
        v1 = SubmissionReceivedV1.model_validate(event.data)
        details: dict[str, Any] = v1.contact.model_dump(mode="json") if v1.contact else {}
        control_number, anonymous, channel = v1.control_number, v1.anonymous, v1.channel
        language, kind = v1.language, v1.kind
    else:
        v2 = SubmissionReceivedV2.model_validate(event.data)
        details = dict(v2.contact or {})
        control_number, anonymous, channel = v2.control_number, v2.anonymous, v2.channel
        language, kind = v2.language, v2.kind
    if anonymous:
        # The PIA: an anonymous submission gets no response, so nothing about it is kept.
        details = {}
    name = " ".join(str(details[key]) for key in ("first_name", "last_name") if details.get(key))
    email = details.get("email")
    return CaseContact(
        control_number=control_number,
        anonymous=anonymous,
        channel=channel,
        language=language,
        kind=kind,
        name=name[:RECIPIENT_LENGTH],
        email=str(email) if email else None,
        address_lines=postal_address(details),
    )


async def remember(session: AsyncSession, contact: CaseContact) -> None:
    """Keep the contact; a repeated submission event keeps the first copy."""
    if await session.get(CaseContact, contact.control_number) is None:
        session.add(contact)


async def contact_for(session: AsyncSession, control_number: str) -> CaseContact | None:
    return await session.get(CaseContact, control_number)
