"""The notifications Temporal worker: `python -m ombuds_notifications.worker`.

`create_app` runs the same worker inside the HTTP service when `run_worker` is set; this entry
point runs it alone (several can share the task queue).
"""

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from ombuds_notifications.activities import NotificationActivities
from ombuds_notifications.config import Settings
from ombuds_shared.contracts import NOTIFICATIONS_TASK_QUEUE
from ombuds_shared.db import create_engine, create_session_factory
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_when_up

SERVICE_NAME = "ombuds-notifications"
log = logging.getLogger(__name__)


def build_worker(
    client: Client,
    activities: NotificationActivities,
    task_queue: str = NOTIFICATIONS_TASK_QUEUE,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        activities=[
            activities.send_acknowledgement,
            activities.prepare_acknowledgement_letter,
            activities.send_staff_escalation,
            activities.send_referral_email,
        ],
        # On shutdown, a send in progress gets this long to finish before it is cancelled.
        graceful_shutdown_timeout=timedelta(seconds=5),
    )


async def run(settings: Settings) -> None:
    """Run the worker until SIGTERM or SIGINT, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    setup_tracing(SERVICE_NAME, settings.platform)
    engine = create_engine(settings.database_url)
    try:
        connecting = asyncio.create_task(connect_when_up(settings.platform))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not connecting.done():
            connecting.cancel()
            return
        stopping.cancel()
        activities = NotificationActivities(create_session_factory(engine), settings)
        async with build_worker(connecting.result(), activities):
            log.info("notifications worker polling %s", NOTIFICATIONS_TASK_QUEUE)
            await stop.wait()
        log.info("notifications worker stopped")
    finally:
        await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run(Settings()))


if __name__ == "__main__":
    main()
