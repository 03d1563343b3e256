"""The intake service: public submissions in, `submission.*` events out."""

import contextlib
from collections.abc import AsyncIterator
from functools import partial

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ombuds_intake import service
from ombuds_intake.accounts.policy import AccountPolicy
from ombuds_intake.attachments.router import (
    ATTACHMENTS_PATH,
    attachments_router,
    upload_body_limit,
)
from ombuds_intake.attachments.service import AttachmentLimits
from ombuds_intake.attachments.storage import build_store
from ombuds_intake.config import Settings
from ombuds_intake.models import OutboxRecord
from ombuds_intake.portal.accounts import router as accounts_router
from ombuds_intake.portal.router import STATIC_DIR, SUBMIT_FORM_PATH
from ombuds_intake.portal.router import router as portal_router
from ombuds_intake.portal.self_service import COOKIE_PATH as SELF_SERVICE_PAGES
from ombuds_intake.portal.self_service import router as self_service_pages
from ombuds_intake.rate_limits import install_rate_limit
from ombuds_intake.retention import RetentionPurger
from ombuds_intake.router import router
from ombuds_intake.self_service.router import router as self_service_router
from ombuds_shared.db import create_engine, create_session_factory, database_is_up
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    CASE_OPENED_V1,
    CASE_STATUS_CHANGED_V1,
    CASES_TOPIC,
    SUBMISSIONS_TOPIC,
    VERIFICATIONS_TOPIC,
)
from ombuds_shared.forms import install_form_protection
from ombuds_shared.http import HealthCheck, add_health_route, install_common
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.outbox import OutboxRelay
from ombuds_shared.tasks import running
from ombuds_shared.telemetry import setup_tracing

SERVICE_NAME = "ombuds-intake"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_tracing(SERVICE_NAME, settings.platform)
        engine = create_engine(settings.database_url)
        session_factory = create_session_factory(engine)
        relay = OutboxRelay(
            session_factory,
            OutboxRecord,
            settings.platform,
            (SUBMISSIONS_TOPIC, VERIFICATIONS_TOPIC),
        )
        apply = partial(service.apply_case_event, session_factory)
        attachment_store = build_store(settings)
        purger = RetentionPurger(session_factory, attachment_store, on_commit=relay.notify)
        consumer = EventConsumer(
            settings.platform,
            group_id="ombuds-intake",
            topics=(CASES_TOPIC,),
            handlers={
                CASE_OPENED_V1: apply,
                CASE_STATUS_CHANGED_V1: apply,
                CASE_ARCHIVE_REQUESTED_V1: purger.handle,
            },
        )
        app.state.engine = engine
        app.state.session_factory = session_factory
        app.state.attachment_store = attachment_store
        app.state.relay = relay
        app.state.consumer = consumer
        async with running(relay.run(), consumer.run()):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Ombuds intake",
        version="1.0.0",
        description="Takes compliments, questions, complaints, tips and comments from the public.",
        lifespan=lifespan,
    )
    upload_limit = upload_body_limit(settings.attachment_max_bytes)
    # Portal forms that carry files: the supplement page (one), the submission form (several).
    form_with_files = upload_body_limit(
        settings.attachment_max_bytes * max(1, settings.attachment_max_count)
    )
    install_common(
        app,
        body_limits={
            ATTACHMENTS_PATH: upload_limit,
            SELF_SERVICE_PAGES: upload_limit,
            SUBMIT_FORM_PATH: form_with_files,
        },
    )
    app.state.settings = settings
    install_rate_limit(app, settings)
    app.state.attachment_limits = AttachmentLimits.from_settings(settings)
    app.include_router(router)
    app.include_router(self_service_router)
    app.include_router(attachments_router(app.state.attachment_limits))
    install_form_protection(app, settings.forms)
    app.include_router(portal_router)
    app.state.account_policy = AccountPolicy.from_settings(settings)
    app.include_router(accounts_router)
    app.include_router(self_service_pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def checks() -> dict[str, HealthCheck]:
        async def database() -> bool:
            return await database_is_up(app.state.engine)

        async def broker() -> bool:
            return bool(app.state.relay.connected and app.state.consumer.connected)

        return {"database": database, "broker": broker}

    add_health_route(app, checks)
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz", exclude_spans=["receive", "send"]
    )
    return app
