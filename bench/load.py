"""The load generator `make bench` uses: lean keep-alive clients posting full complaints."""

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
COMPLAINT = json.loads((ROOT / "examples" / "submissions" / "complaint.json").read_text())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def submission(i: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(COMPLAINT))
    body["contact"]["email"] = f"bench-{i}@example.org"
    body["incident"]["narrative"] = f"Benchmark submission {i}: {uuid.uuid4()}"
    return body


class KeepAliveClient:
    """A minimal HTTP/1.1 keep-alive client for one fixed endpoint.

    httpx costs more CPU per request than the service under test, and on a 2-core machine
    the load generator would be what we measure; this one costs tens of microseconds.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def intake_load(url: str, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    """`clients` connections POSTing submissions back to back for `seconds`."""
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))
    host, port = url.removeprefix("http://").split(":")

    async def client_loop() -> None:
        nonlocal failures
        client = KeepAliveClient(host, int(port))
        try:
            while time.monotonic() < deadline:
                body = json.dumps(submission(next(counter))).encode()
                started = time.perf_counter()
                status = await client.post_json("/api/v1/submissions", body)
                latencies.append(time.perf_counter() - started)
                if status != 201:
                    failures += 1
        finally:
            await client.close()

    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return len(latencies), failures, latencies
