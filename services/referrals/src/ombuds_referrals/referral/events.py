"""Staging referral events in the outbox, in the caller's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_referrals.models import OUTSIDE_AGENCY, DirectoryEntry, OutboxRecord, Referral
from ombuds_shared.events import (
    REFERRAL_OUTBOUND_V1,
    REFERRALS_OUTBOUND_TOPIC,
    REFERRALS_TOPIC,
    DisclosureV1,
    EventBody,
    ReferralOutboundV1,
    make_event,
)
from ombuds_shared.outbox import add_to_outbox

SOURCE = "ombuds-referrals"


def stage(session: AsyncSession, referral: Referral, event_type: str, body: EventBody) -> None:
    """A `referral.*` event, keyed by control number so one case's events stay in order."""
    event = make_event(SOURCE, event_type, body, subject=referral.control_number)
    add_to_outbox(session, OutboxRecord, REFERRALS_TOPIC, event)


def stage_outbound(session: AsyncSession, body: ReferralOutboundV1) -> None:
    """What the recipient reads on the outbound topic, keyed by its directory id."""
    event = make_event(SOURCE, REFERRAL_OUTBOUND_V1, body, subject=body.recipient_id)
    add_to_outbox(session, OutboxRecord, REFERRALS_OUTBOUND_TOPIC, event)


def disclosure(referral: Referral, recipient: DirectoryEntry) -> DisclosureV1:
    """Form DHS-191's fields for a referral: a need-to-know share inside DHS, a routine use
    outside it. Both are accounted so the individual sees every office the record went to."""
    return DisclosureV1(
        date=referral.delivered_at or referral.created_at,
        nature=referral.nature,
        purpose=referral.purpose,
        recipient_name=recipient.name,
        recipient_address=recipient.postal_address,
        basis="b3_routine_use" if recipient.kind == OUTSIDE_AGENCY else "b1_need_to_know",
    )
