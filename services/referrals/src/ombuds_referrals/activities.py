"""Activities the Referral workflow calls on the referrals task queue.

Each is idempotent: a delivery is keyed by referral, action and channel; a timer step by
referral, phase, step and number. A retry after a crash records and publishes nothing twice.
"""

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ombuds_referrals import webhooks
from ombuds_referrals.models import DirectoryEntry, Referral, ReferralDelivery, ReferralStep
from ombuds_referrals.referral.events import disclosure, stage, stage_outbound
from ombuds_referrals.referral.service import snapshot
from ombuds_shared.contracts import (
    CHANNEL_EMAIL,
    CHANNEL_KAFKA,
    CHANNEL_WEBHOOK,
    DELIVER_REFERRAL_ACTIVITY,
    RECORD_REFERRAL_STEP_ACTIVITY,
    REFERRAL_SNAPSHOT_ACTIVITY,
    DeliverReferral,
    DeliveryResult,
    RecordReferralStep,
    ReferralSnapshot,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    REFERRAL_DELIVERED_V1,
    REFERRAL_ESCALATED_V1,
    REFERRAL_REMINDER_SENT_V1,
    ReferralDeliveredV1,
    ReferralEscalatedV1,
    ReferralOutboundV1,
    ReferralReminderSentV1,
)


def _not_found(referral_id: str) -> ApplicationError:
    return ApplicationError(
        f"no referral {referral_id}", type="ReferralNotFound", non_retryable=True
    )


async def _load(session: AsyncSession, referral_id: str) -> tuple[Referral, DirectoryEntry]:
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise _not_found(referral_id)
    recipient = await session.get(DirectoryEntry, referral.recipient_id)
    assert recipient is not None  # a foreign key
    return referral, recipient


def outbound_body(
    referral: Referral, request: DeliverReferral, now: datetime
) -> ReferralOutboundV1:
    return ReferralOutboundV1(
        referral_id=referral.id,
        control_number=referral.control_number,
        recipient_id=referral.recipient_id,
        action=request.action,
        nature=referral.nature,
        purpose=referral.purpose,
        deadline=request.deadline,
        sent_at=now,
    )


class ReferralActivities:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], webhook_timeout: float = 10.0
    ) -> None:
        self._session_factory = session_factory
        self._webhook_timeout = webhook_timeout

    @activity.defn(name=DELIVER_REFERRAL_ACTIVITY)
    async def deliver(self, request: DeliverReferral) -> DeliveryResult:
        """Deliver once on one channel: the outbound topic (via the outbox) or the webhook;
        record an email the notifications service sent."""
        async with UnitOfWork(self._session_factory) as uow:
            if await self._delivered(uow.session, request.idempotency_key):
                return DeliveryResult(channel=request.channel, already_delivered=True)
            referral, recipient = await _load(uow.session, request.referral_id)
        now = utcnow()
        body = outbound_body(referral, request, now)
        if request.channel == CHANNEL_WEBHOOK:
            if not recipient.webhook_url or not recipient.webhook_secret:
                raise ApplicationError(
                    f"{recipient.id} has no webhook", type="NoWebhook", non_retryable=True
                )
            # Sent before the row commits: a crash in between resends with the same
            # Idempotency-Key header, which the receiver uses to drop the duplicate.
            await webhooks.post_signed(
                recipient.webhook_url,
                recipient.webhook_secret,
                json.dumps(body.model_dump(mode="json"), sort_keys=True).encode(),
                request.idempotency_key,
                int(now.timestamp()),
                self._webhook_timeout,
            )
        # Email was sent by the notifications service (its own key keeps it to one message);
        # here it is only recorded, so deliveries and the disclosure accounting see it.
        elif request.channel not in (CHANNEL_KAFKA, CHANNEL_EMAIL):
            raise ApplicationError(
                f"channel {request.channel!r} is not delivered by this service",
                type="UnsupportedChannel",
                non_retryable=True,
            )
        async with UnitOfWork(self._session_factory) as uow:
            referral, recipient = await _load(uow.session, request.referral_id)
            if request.channel == CHANNEL_KAFKA:
                stage_outbound(uow.session, body)
            first = request.action == "referral" and referral.delivered_at is None
            if first:
                referral.delivered_at = now
                if referral.status == "created":
                    referral.status = "delivered"
            uow.session.add(
                ReferralDelivery(
                    referral_id=referral.id,
                    idempotency_key=request.idempotency_key,
                    channel=request.channel,
                    action=request.action,
                    delivered_at=now,
                )
            )
            event = ReferralDeliveredV1(
                referral_id=referral.id,
                control_number=referral.control_number,
                recipient_id=referral.recipient_id,
                occurred_at=now,
                channel=request.channel,
                action=request.action,
                disclosure=disclosure(referral, recipient) if first else None,
            )
            stage(uow.session, referral, REFERRAL_DELIVERED_V1, event)
            try:
                await uow.commit()
            except IntegrityError:
                # A concurrent attempt of this same delivery committed first.
                return DeliveryResult(channel=request.channel, already_delivered=True)
        return DeliveryResult(channel=request.channel, already_delivered=False)

    @staticmethod
    async def _delivered(session: AsyncSession, key: str) -> bool:
        found = await session.scalar(
            select(ReferralDelivery.id).where(ReferralDelivery.idempotency_key == key)
        )
        return found is not None

    @activity.defn(name=RECORD_REFERRAL_STEP_ACTIVITY)
    async def record_step(self, request: RecordReferralStep) -> ReferralSnapshot:
        """Record a reminder or escalation, unless the row shows the phase is already over."""
        key = f"{request.phase}:{request.step}:{request.number}"
        async with UnitOfWork(self._session_factory) as uow:
            referral, _ = await _load(uow.session, request.referral_id)
            if self._phase_over(referral, request.phase):
                return snapshot(referral, step_recorded=False)
            seen = await uow.session.scalar(
                select(ReferralStep.id).where(
                    ReferralStep.referral_id == referral.id, ReferralStep.step_key == key
                )
            )
            if seen is not None:
                return snapshot(referral, step_recorded=True)
            uow.session.add(
                ReferralStep(referral_id=referral.id, step_key=key, recorded_at=request.at)
            )
            common = {
                "referral_id": referral.id,
                "control_number": referral.control_number,
                "recipient_id": referral.recipient_id,
                "occurred_at": request.at,
                "phase": request.phase,
            }
            if request.step == "reminder":
                referral.reminders_sent += 1
                reminder = ReferralReminderSentV1.model_validate(
                    {**common, "number": request.number, "next_deadline": request.next_deadline}
                )
                stage(uow.session, referral, REFERRAL_REMINDER_SENT_V1, reminder)
            else:
                referral.escalated_at = referral.escalated_at or request.at
                escalation = ReferralEscalatedV1.model_validate(common)
                stage(uow.session, referral, REFERRAL_ESCALATED_V1, escalation)
            await uow.commit()
            return snapshot(referral, step_recorded=True)

    @staticmethod
    def _phase_over(referral: Referral, phase: str) -> bool:
        if referral.recalled_at is not None or referral.disposition_at is not None:
            return True
        if phase == "acknowledgement":
            return referral.acknowledged_at is not None or referral.responded_at is not None
        return referral.responded_at is not None

    @activity.defn(name=REFERRAL_SNAPSHOT_ACTIVITY)
    async def read_snapshot(self, referral_id: str) -> ReferralSnapshot:
        async with UnitOfWork(self._session_factory) as uow:
            referral, _ = await _load(uow.session, referral_id)
            return snapshot(referral)
