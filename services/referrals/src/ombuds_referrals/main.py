"""The referrals service: the directory of offices and agencies, referrals and their Referral
workflows' activities, the staff and agency APIs, and its outbox relay."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ombuds_referrals.activities import ReferralActivities
from ombuds_referrals.config import Settings
from ombuds_referrals.corrections import CorrectionNotices, CorrectionWebhookSender
from ombuds_referrals.directory.router import router as directory_router
from ombuds_referrals.models import OutboxRecord
from ombuds_referrals.referral.agency_router import router as agency_router
from ombuds_referrals.referral.requests import HANDLED_TYPES as REQUEST_TYPES
from ombuds_referrals.referral.requests import ReferralRequestHandler
from ombuds_referrals.referral.router import router as referral_router
from ombuds_referrals.referral.starter import PendingStarts
from ombuds_referrals.retention import RetentionPurger
from ombuds_referrals.routing.router import admin_router as routing_admin_router
from ombuds_referrals.routing.router import router as routing_router
from ombuds_referrals.worker import build_worker
from ombuds_shared.db import create_engine, create_session_factory, database_is_up
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASE_RECORD_AMENDED_V1,
    CASES_TOPIC,
    REFERRALS_OUTBOUND_TOPIC,
    REFERRALS_TOPIC,
)
from ombuds_shared.http import HealthCheck, add_health_route, install_common
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.outbox import OutboxRelay
from ombuds_shared.tasks import running
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import TemporalConnection

SERVICE_NAME = "ombuds-referrals"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_tracing(SERVICE_NAME, settings.platform)
        engine = create_engine(settings.database_url)
        session_factory = create_session_factory(engine)
        temporal = TemporalConnection(settings.platform)
        relay = OutboxRelay(
            session_factory,
            OutboxRecord,
            settings.platform,
            (REFERRALS_TOPIC, REFERRALS_OUTBOUND_TOPIC),
        )
        corrections = CorrectionWebhookSender(
            session_factory, settings.webhook_timeout_seconds, on_commit=relay.notify
        )
        # Referrals asked for from the case page; retention expired: forget the person (see
        # retention.py); a record corrected: tell its earlier recipients (corrections.py).
        consumer = EventConsumer(
            settings.platform,
            group_id="ombuds-referrals",
            topics=(CASES_TOPIC,),
            handlers={
                **dict.fromkeys(REQUEST_TYPES, ReferralRequestHandler(session_factory, temporal)),
                CASE_ARCHIVE_REQUESTED_V1: RetentionPurger(
                    session_factory, on_commit=relay.notify
                ).handle,
                CASE_RECORD_AMENDED_V1: CorrectionNotices(
                    session_factory, on_commit=relay.notify, on_webhooks_queued=corrections.notify
                ).handle,
            },
        )
        app.state.engine = engine
        app.state.session_factory = session_factory
        app.state.temporal = temporal
        app.state.relay = relay
        app.state.consumer = consumer
        activities = ReferralActivities(session_factory, settings.webhook_timeout_seconds)

        async def run_worker() -> None:
            client = await temporal.wait()
            await build_worker(client, activities).run()

        loops = [
            temporal.run(),
            relay.run(),
            consumer.run(),
            PendingStarts(session_factory, temporal).run(),
            corrections.run(),
        ]
        if settings.run_worker:
            loops.append(run_worker())
        async with running(*loops):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Ombuds referrals",
        version="0.2.0",
        description="The directory of offices and agencies, referrals, and the agency API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_common(app)
    app.include_router(directory_router)
    app.include_router(referral_router)
    app.include_router(agency_router)
    app.include_router(routing_router)
    app.include_router(routing_admin_router)

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
