"""The cases activity worker: in the service process by default, or alone for scaling out."""

import asyncio
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from ombuds_cases.activities import CaseActivities
from ombuds_cases.config import Settings
from ombuds_cases.retention.certificates import RetentionActivities
from ombuds_cases.sla.activities import SlaActivities
from ombuds_shared.contracts import CASES_TASK_QUEUE
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_temporal


def build_worker(
    client: Client, activities: CaseActivities, retention: RetentionActivities
) -> Worker:
    sla = SlaActivities(activities.session_factory)
    return Worker(
        client,
        task_queue=CASES_TASK_QUEUE,
        activities=[
            activities.record_status,
            activities.archive_case,
            retention.issue_deletion_certificate,
            sla.record_sla_breach,
            sla.record_information_overdue,
        ],
    )


async def _main() -> None:
    settings = Settings()
    setup_tracing("ombuds-cases-worker", settings.platform)
    engine = create_engine(settings.database_url)
    client = await connect_temporal(settings.platform)
    sessions = create_session_factory(engine)
    worker = build_worker(client, CaseActivities(sessions), RetentionActivities(sessions))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        await stop.wait()
    await engine.dispose()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
