"""Background loops a service runs for as long as it lives (relay, consumer, worker)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running(*loops: Coroutine[Any, Any, None]) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run each loop as a task; on exit cancel them all and wait for them to finish."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def raise_if_cancelling() -> None:
    """Honour a cancellation a library swallowed (aiokafka can turn one that lands while it
    bootstraps into a connection error); a retry loop would otherwise run forever and hang
    shutdown. Call it in a loop's error path, before it sleeps and retries."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
