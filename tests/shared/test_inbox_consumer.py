"""EventConsumer stops when cancelled, whatever it was doing, even with no broker to reach."""

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer

from ombuds_devstack.processes import free_port
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.settings import PlatformSettings


class CancelSwallowedDuringStop(EventConsumer):
    """Stands in for aiokafka: the service is cancelled while a failed client is being
    stopped, and the client's stop() swallows that cancellation (as aiokafka's can)."""

    fired = False

    async def _stop(self, consumer: AIOKafkaConsumer) -> None:  # type: ignore[override]
        await EventConsumer._stop(consumer)
        if CancelSwallowedDuringStop.fired:
            return
        CancelSwallowedDuringStop.fired = True
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)


async def test_a_cancel_swallowed_while_stopping_still_ends_the_consumer() -> None:
    nobody = PlatformSettings(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    consumer = CancelSwallowedDuringStop(nobody, group_id="test", topics=("t",), handlers={})
    task = asyncio.create_task(consumer.run())
    done, _pending = await asyncio.wait([task], timeout=10)
    assert CancelSwallowedDuringStop.fired
    # Without the check after stopping, the loop would go on reconnecting for ever.
    assert task in done
    assert task.cancelled()
    assert consumer.connected is False
