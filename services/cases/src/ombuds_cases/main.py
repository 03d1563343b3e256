"""The cases service: opens cases from submissions, starts their workflows, serves staff."""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ombuds_cases.activities import CaseActivities
from ombuds_cases.audit.router import router as audit_router
from ombuds_cases.audit.writer import AuditWriter
from ombuds_cases.case.deliveries import HANDLED_TYPES as DELIVERY_TYPES
from ombuds_cases.case.deliveries import DeliveryHandler
from ombuds_cases.case.reveal import router as reveal_router
from ombuds_cases.case.router import router as case_actions_router
from ombuds_cases.case.selfservice import HANDLED_TYPES, SelfServiceHandler
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.config import Settings
from ombuds_cases.crypto.backfill import seal_existing
from ombuds_cases.disclosures.consumer import HANDLED_TYPES as DISCLOSURE_TYPES
from ombuds_cases.disclosures.consumer import ReferralDeliveryHandler
from ombuds_cases.disclosures.router import router as disclosures_router
from ombuds_cases.lifecycle import SubmissionHandler
from ombuds_cases.models import OutboxRecord
from ombuds_cases.privacy.indexer import backfill_if_empty
from ombuds_cases.privacy.router import router as privacy_router
from ombuds_cases.privacy.undeliverable import HANDLED_TYPES as UNDELIVERABLE_TYPES
from ombuds_cases.privacy.undeliverable import UndeliverableCorrectionHandler
from ombuds_cases.queue.router import router as saved_views_router
from ombuds_cases.redirect.router import router as redirect_router
from ombuds_cases.referrals.consumer import HANDLED_TYPES as FOLLOWED_REFERRAL_TYPES
from ombuds_cases.referrals.consumer import ReferralEventHandler
from ombuds_cases.referrals.router import router as referrals_router
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.retention.forwarding import HANDLED_TYPES as STORE_CLEARED_TYPES
from ombuds_cases.retention.forwarding import StoreClearedHandler
from ombuds_cases.retention.router import router as retention_router
from ombuds_cases.router import router
from ombuds_cases.sla.router import router as service_levels_router
from ombuds_cases.staff.router import router as staff_router
from ombuds_cases.ui.install import install_staff_ui
from ombuds_cases.worker import build_worker
from ombuds_shared.db import create_engine, create_session_factory, database_is_up
from ombuds_shared.events import (
    CASES_TOPIC,
    NOTIFICATIONS_TOPIC,
    REFERRALS_TOPIC,
    SUBMISSION_RECEIVED_V1,
    SUBMISSION_RECEIVED_V2,
    SUBMISSIONS_TOPIC,
)
from ombuds_shared.http import HealthCheck, add_health_route, install_common
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.outbox import OutboxRelay
from ombuds_shared.tasks import running
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import TemporalConnection

SERVICE_NAME = "ombuds-cases"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_tracing(SERVICE_NAME, settings.platform)
        engine = create_engine(settings.database_url)
        session_factory = create_session_factory(engine)
        temporal = TemporalConnection(settings.platform)
        relay = OutboxRelay(session_factory, OutboxRecord, settings.platform, (CASES_TOPIC,))
        keyring = app.state.field_keyring = settings.field_encryption.keyring()
        # Identity values stored before field encryption are sealed before anyone reads them.
        await seal_existing(session_factory, keyring)
        blind_key = settings.blind_index.raw_key()
        opener = SubmissionHandler(session_factory, temporal, keyring, blind_key)
        signals = SignalSender(session_factory, temporal, retention_years=settings.retention_years)
        self_service = SelfServiceHandler(session_factory, signals, keyring, blind_key)
        consumer = EventConsumer(
            settings.platform,
            group_id="ombuds-cases",
            # Notifications: each message sent or failed goes on the case's timeline, and its
            # purge confirmation (retention/forwarding.py).
            topics=(SUBMISSIONS_TOPIC, REFERRALS_TOPIC, NOTIFICATIONS_TOPIC),
            handlers={
                SUBMISSION_RECEIVED_V1: opener,
                SUBMISSION_RECEIVED_V2: opener,
                **dict.fromkeys(HANDLED_TYPES, self_service),
                **dict.fromkeys(DISCLOSURE_TYPES, ReferralDeliveryHandler(session_factory)),
                **dict.fromkeys(STORE_CLEARED_TYPES, StoreClearedHandler(session_factory, signals)),
                **dict.fromkeys(DELIVERY_TYPES, DeliveryHandler(session_factory)),
                **dict.fromkeys(FOLLOWED_REFERRAL_TYPES, ReferralEventHandler(session_factory)),
                **dict.fromkeys(
                    UNDELIVERABLE_TYPES, UndeliverableCorrectionHandler(session_factory)
                ),
            },
        )
        app.state.engine = engine
        app.state.session_factory = session_factory
        app.state.temporal = temporal
        app.state.relay = relay
        app.state.consumer = consumer
        audit = app.state.audit = AuditWriter(session_factory, settings.audit)
        app.state.signals = signals

        async def run_worker() -> None:
            client = await temporal.wait()
            await build_worker(
                client, CaseActivities(session_factory), RetentionActivities(session_factory)
            ).run()

        async def index_cases_opened_before_the_blind_index() -> None:
            # In the background: a large database would hold start-up (and health checks) for
            # minutes; a Privacy Act search misses those cases only until it ends.
            indexed = await backfill_if_empty(session_factory, blind_key, keyring)
            if indexed:
                log.info("blind index: %d cases opened before it existed are indexed", indexed)

        loops = [
            temporal.run(),
            relay.run(),
            consumer.run(),
            audit.run(),
            signals.run(),
            index_cases_opened_before_the_blind_index(),
        ]
        if settings.run_worker:
            loops.append(run_worker())
        async with running(*loops):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Ombuds cases",
        version="1.0.0",
        description="Cases, their status history and the staff API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_common(app)
    app.include_router(router)
    app.include_router(audit_router)
    app.include_router(staff_router)
    app.include_router(case_actions_router)
    app.include_router(reveal_router)
    app.include_router(saved_views_router)
    app.include_router(disclosures_router)
    app.include_router(redirect_router)
    app.include_router(service_levels_router)
    app.include_router(privacy_router)
    app.include_router(referrals_router)
    app.include_router(retention_router)
    install_staff_ui(app, settings.forms)

    def checks() -> dict[str, HealthCheck]:
        async def database() -> bool:
            return await database_is_up(app.state.engine)

        async def broker() -> bool:
            return bool(app.state.relay.connected and app.state.consumer.connected)

        return {"database": database, "broker": broker, "temporal": app.state.temporal.is_healthy}

    add_health_route(app, checks)
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz", exclude_spans=["receive", "send"]
    )
    return app
