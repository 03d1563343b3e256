"""The referrals activity worker: in the service process by default, or alone for scaling out."""

import asyncio
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from ombuds_referrals.activities import ReferralActivities
from ombuds_referrals.config import Settings
from ombuds_shared.contracts import REFERRALS_TASK_QUEUE
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_temporal


def build_worker(client: Client, activities: ReferralActivities) -> Worker:
    return Worker(
        client,
        task_queue=REFERRALS_TASK_QUEUE,
        activities=[activities.deliver, activities.record_step, activities.read_snapshot],
    )


async def _main() -> None:
    settings = Settings()
    setup_tracing("ombuds-referrals-worker", settings.platform)
    engine = create_engine(settings.database_url)
    client = await connect_temporal(settings.platform)
    activities = ReferralActivities(
        create_session_factory(engine), settings.webhook_timeout_seconds
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with build_worker(client, activities):
        await stop.wait()
    await engine.dispose()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
