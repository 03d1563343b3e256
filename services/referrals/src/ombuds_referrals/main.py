"""The referrals service. Today it only runs its outbox relay and answers `/healthz`;
the agency directory, routing and the Referral workflow's activities come with issue 5."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ombuds_referrals.config import Settings
from ombuds_referrals.models import OutboxRecord
from ombuds_shared.db import create_engine, create_session_factory, database_is_up
from ombuds_shared.events import REFERRALS_OUTBOUND_TOPIC, REFERRALS_TOPIC
from ombuds_shared.http import HealthCheck, add_health_route, install_common
from ombuds_shared.outbox import OutboxRelay
from ombuds_shared.tasks import running
from ombuds_shared.telemetry import setup_tracing

SERVICE_NAME = "ombuds-referrals"


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
            (REFERRALS_TOPIC, REFERRALS_OUTBOUND_TOPIC),
        )
        app.state.engine = engine
        app.state.relay = relay
        async with running(relay.run()):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Ombuds referrals",
        version="0.1.0",
        description="Referrals to offices and agencies (directory and workflow: issue 5).",
        lifespan=lifespan,
    )
    install_common(app)

    def checks() -> dict[str, HealthCheck]:
        async def database() -> bool:
            return await database_is_up(app.state.engine)

        async def broker() -> bool:
            return bool(app.state.relay.connected)

        return {"database": database, "broker": broker}

    add_health_route(app, checks)
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz", exclude_spans=["receive", "send"]
    )
    return app
