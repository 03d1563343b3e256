"""The retention purge (issue 6): when a case's retention expires, referrals forgets the person.

Consumes `case.archive-requested` from the cases topic and, in one transaction with its inbox
row, scrubs the case's referrals (purpose, nature, disposition, recall reason), deletes the
agency's questions, responses and dispositions, scrubs staff's routing reasons, and deletes
the case's events from the outbox (the `referral.*` ones keyed by control number and the
outbound ones sent to recipients), then stages `retention.store-cleared` in its own outbox.

What remains is what the disclosure accounting may need and holds nothing about the person:
each referral's id, control number, recipient, status, reminder count and dates; its
deliveries (channel, action, date) and timer steps; the routing decisions' recipients. The
accounting itself (Form DHS-191's fields) lives in the cases service and outlives this purge.
"""

import json
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_referrals.models import (
    CorrectionNotice,
    InboxRecord,
    OutboxRecord,
    Referral,
    ReferralMessage,
    RoutingDecision,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    REFERRAL_CORRECTION_NOTICE_V1,
    REFERRAL_OUTBOUND_V1,
    REFERRALS_TOPIC,
    STORE_CLEARED_V1,
    CaseArchiveRequestedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds-referrals"
SERVICE = "referrals"


def _count(result: object) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


async def _outbound_rows_about(session: AsyncSession, control_number: str) -> list[int]:
    """Outbound events are keyed by recipient, so they are found through the case's
    recipients (an index lookup) and then by the case inside the payload."""
    recipients = select(Referral.recipient_id).where(Referral.control_number == control_number)
    # Correction notices may go to a recipient the record reached other than by referral.
    told = select(CorrectionNotice.recipient_id).where(
        CorrectionNotice.control_number == control_number
    )
    candidates = await session.execute(
        select(OutboxRecord.id, OutboxRecord.payload).where(
            or_(OutboxRecord.message_key.in_(recipients), OutboxRecord.message_key.in_(told)),
            OutboxRecord.event_type.in_((REFERRAL_OUTBOUND_V1, REFERRAL_CORRECTION_NOTICE_V1)),
            OutboxRecord.payload.contains(control_number, autoescape=True),
        )
    )
    return [
        row_id
        for row_id, payload in candidates
        if json.loads(payload).get("data", {}).get("control_number") == control_number
    ]


async def _delete_outbox(session: AsyncSession, control_number: str) -> int:
    outbound = await _outbound_rows_about(session, control_number)
    # Earlier store-cleared answers hold no personal data and stay as the record of the purge.
    deleted = await session.execute(
        delete(OutboxRecord).where(
            or_(
                (OutboxRecord.message_key == control_number)
                & (OutboxRecord.event_type != STORE_CLEARED_V1),
                OutboxRecord.id.in_(outbound),
            )
        )
    )
    return _count(deleted)


async def purge_case(session: AsyncSession, control_number: str) -> dict[str, int]:
    """Delete or scrub everything about the case (the caller commits); returns the manifest."""
    referral_ids = select(Referral.id).where(Referral.control_number == control_number)
    messages = await session.execute(
        delete(ReferralMessage).where(ReferralMessage.referral_id.in_(referral_ids))
    )
    # Only rows still holding something count, so a second request reports nothing new.
    referrals = await session.execute(
        update(Referral)
        .where(
            Referral.control_number == control_number,
            or_(
                Referral.purpose != "",
                Referral.nature != "",
                Referral.disposition.is_not(None),
                Referral.recall_reason.is_not(None),
            ),
        )
        .values(purpose="", nature="", disposition=None, recall_reason=None)
    )
    decisions = await session.execute(
        update(RoutingDecision)
        .where(
            RoutingDecision.control_number == control_number, RoutingDecision.reason.is_not(None)
        )
        .values(reason=None)
    )
    return {
        "referrals": _count(referrals),
        "referral_messages": _count(messages),
        "routing_decisions": _count(decisions),
        "outbox": await _delete_outbox(session, control_number),
    }


class RetentionPurger:
    """The `case.archive-requested` handler: purge once per request, then answer."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._on_commit = on_commit

    async def handle(self, event: CloudEvent) -> None:
        request = CaseArchiveRequestedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if not await claim_event(uow.session, InboxRecord, event):
                return
            manifest = await purge_case(uow.session, request.control_number)
            body = StoreClearedV1(
                control_number=request.control_number, service=SERVICE, manifest=manifest
            )
            cleared = make_event(EVENT_SOURCE, STORE_CLEARED_V1, body, request.control_number)
            add_to_outbox(uow.session, OutboxRecord, REFERRALS_TOPIC, cleared)
            await uow.commit()
        self._on_commit()
