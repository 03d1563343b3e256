"""An agency's webhook endpoint for tests: a real local HTTP server that checks signatures."""

import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from ombuds_devstack.processes import free_port
from ombuds_referrals import webhooks


@dataclass
class Receiver:
    """An agency's webhook endpoint: verifies each signature, drops repeated idempotency keys."""

    url: str
    secret: str
    accepted: list[dict[str, object]] = field(default_factory=list)
    refused: int = 0
    seen_keys: set[str] = field(default_factory=set)
    # Set to make the receiver answer this status to every request (an outage, a refusal).
    answer_with: int | None = None


@contextlib.asynccontextmanager
async def webhook_receiver(secret: str) -> AsyncIterator[Receiver]:
    """A local HTTP server at `Receiver.url` until the block ends."""
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/referrals", secret=secret)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if state.answer_with is not None:
            return web.Response(status=state.answer_with)
        valid = webhooks.verify(
            state.secret,
            request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(webhooks.SIGNATURE_HEADER, ""),
            now=int(time.time()),
        )
        if not valid:
            state.refused += 1
            return web.Response(status=401)
        key = request.headers[webhooks.IDEMPOTENCY_HEADER]
        if key not in state.seen_keys:
            state.seen_keys.add(key)
            state.accepted.append(json.loads(body))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/referrals", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield state
    finally:
        await runner.cleanup()
