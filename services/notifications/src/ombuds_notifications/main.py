"""The notifications service: hosts the send activities, keeps the delivery log, announces sends.

`uvicorn ombuds_notifications.main:create_app --factory`
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_notifications.lifecycle import STEP_EVENTS, SUBMISSION_EVENTS, LifecycleMessenger
from ombuds_notifications.models import OutboxRecord
from ombuds_notifications.redirection import RedirectionMailer
from ombuds_notifications.retention import RetentionPurger
from ombuds_notifications.router import router
from ombuds_notifications.verification import VerificationMailer
from ombuds_notifications.worker import SERVICE_NAME, build_worker
from ombuds_shared.db import create_engine, create_session_factory, database_is_up
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASE_REDIRECTED_V1,
    CASES_TOPIC,
    NOTIFICATIONS_TOPIC,
    REFERRALS_TOPIC,
    SUBMISSIONS_TOPIC,
    VERIFICATION_CODE_ISSUED_V1,
    VERIFICATIONS_TOPIC,
)
from ombuds_shared.http import HealthCheck, add_health_route, install_common
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.outbox import OutboxRelay
from ombuds_shared.tasks import running
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_when_up

log = logging.getLogger(__name__)
_WORKER_RESTART_SECONDS = 1.0


@dataclass
class _Runtime:
    """What the lifespan opened, for the health checks to look at."""

    engine: AsyncEngine
    relay: OutboxRelay
    consumer: EventConsumer
    contact_consumer: EventConsumer
    temporal: Client | None = None
    worker: Worker | None = None


async def _run_temporal(
    runtime: _Runtime, settings: Settings, activities: NotificationActivities
) -> None:
    # The service starts without Temporal and reports it down until the connection is made.
    runtime.temporal = await connect_when_up(settings.platform)
    if not settings.run_worker:
        return
    while True:
        runtime.worker = build_worker(runtime.temporal, activities)
        try:
            # Cancelling this task shuts the worker down gracefully (see Worker.run).
            await runtime.worker.run()
        except Exception:
            log.exception("notifications worker failed; restarting it")
        await asyncio.sleep(_WORKER_RESTART_SECONDS)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state: dict[str, _Runtime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_tracing(SERVICE_NAME, settings.platform)
        engine = create_engine(settings.database_url)
        session_factory = create_session_factory(engine)
        relay = OutboxRelay(
            session_factory, OutboxRecord, settings.platform, topics=(NOTIFICATIONS_TOPIC,)
        )
        activities = NotificationActivities(session_factory, settings, on_commit=relay.notify)
        # One-time codes are emailed straight from their event (see verification.py).
        mailer = VerificationMailer(session_factory, settings)
        # Lifecycle messages follow the case's events (see lifecycle.py for which ones).
        messenger = LifecycleMessenger(session_factory, settings, on_commit=relay.notify)
        consumer = EventConsumer(
            settings.platform,
            group_id="ombuds-notifications",
            topics=(VERIFICATIONS_TOPIC, CASES_TOPIC, REFERRALS_TOPIC),
            handlers={
                VERIFICATION_CODE_ISSUED_V1: mailer.handle,
                **dict.fromkeys(STEP_EVENTS, messenger.handle),
                CASE_REDIRECTED_V1: RedirectionMailer(session_factory, settings).handle,
                # Retention expired: forget the person (see retention.py).
                CASE_ARCHIVE_REQUESTED_V1: RetentionPurger(
                    session_factory, on_commit=relay.notify
                ).handle,
            },
        )
        # A consumer of its own: a case event waiting for its contact must not hold up the
        # submission event that brings it.
        contact_consumer = EventConsumer(
            settings.platform,
            group_id="ombuds-notifications-contacts",
            topics=(SUBMISSIONS_TOPIC,),
            handlers=dict.fromkeys(SUBMISSION_EVENTS, messenger.handle),
        )
        runtime = _Runtime(
            engine=engine, relay=relay, consumer=consumer, contact_consumer=contact_consumer
        )
        state["runtime"] = runtime
        app.state.engine = engine
        app.state.session_factory = session_factory
        app.state.relay = relay
        app.state.consumer = consumer
        async with running(
            relay.run(),
            consumer.run(),
            contact_consumer.run(),
            _run_temporal(runtime, settings, activities),
        ):
            yield
        await engine.dispose()
        state.pop("runtime", None)

    app = FastAPI(
        title="Ombuds notifications",
        version="1.0.0",
        description="Sends acknowledgements and other messages; keeps the delivery log.",
        lifespan=lifespan,
    )
    install_common(app)
    app.include_router(router)

    def checks() -> dict[str, HealthCheck]:
        runtime = state.get("runtime")

        async def database() -> bool:
            return runtime is not None and await database_is_up(runtime.engine)

        async def temporal() -> bool:
            if runtime is None or runtime.temporal is None:
                return False
            if settings.run_worker and (runtime.worker is None or not runtime.worker.is_running):
                return False
            return await runtime.temporal.service_client.check_health()

        async def broker() -> bool:
            return (
                runtime is not None
                and runtime.relay.connected
                and runtime.consumer.connected
                and runtime.contact_consumer.connected
            )

        return {"database": database, "temporal": temporal, "broker": broker}

    add_health_route(app, checks)
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz", exclude_spans=["receive", "send"]
    )
    return app
