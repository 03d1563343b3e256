"""`python -m ombuds_workflows.worker`: runs the workflow definitions; activities run elsewhere."""

import asyncio
import logging
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from ombuds_shared.contracts import WORKFLOWS_TASK_QUEUE
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_when_up
from ombuds_workflows.case_lifecycle import CaseLifecycle
from ombuds_workflows.referral import Referral
from ombuds_workflows.retention import Retention

WORKFLOWS = [CaseLifecycle, Referral, Retention]


def build_worker(client: Client, task_queue: str = WORKFLOWS_TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=WORKFLOWS)


async def _main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = PlatformSettings()
    setup_tracing("ombuds-workflows", settings)
    client = await connect_when_up(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with build_worker(client):
        await stop.wait()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
