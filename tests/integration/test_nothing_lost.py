"""An accepted submission is never lost: not when the broker restarts, not when a worker dies."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ombuds_devstack.processes import ManagedProcess
from support.infra import Infra
from support.system import STAFF, System, eventually, running_system, sqlite_urls

EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"


def complaint(email: str, narrative: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    body["contact"]["email"] = email
    body["incident"]["narrative"] = narrative
    return body


async def cases_opened(system: System, numbers: list[str]) -> bool:
    for number in numbers:
        response = await system.cases.get(f"/api/v1/cases/{number}", headers=STAFF)
        if response.status_code != 200 or response.json()["status"] != "triage":
            return False
    return True


async def test_broker_restart_mid_stream_loses_nothing(infra: Infra, tmp_path: Path) -> None:
    total, stop_at, start_at = 40, 12, 24
    async with running_system(infra, sqlite_urls(tmp_path)) as system:
        numbers: list[str] = []
        for i in range(total):
            if i == stop_at:
                infra.stop_broker()
            if i == start_at:
                infra.start_broker()
            response = await system.intake.post(
                "/api/v1/submissions",
                json=complaint(f"restart-{i}@example.org", f"Submission number {i} in the stream."),
            )
            # Accepted even while the broker is down: the outbox holds the event.
            assert response.status_code == 201, response.text
            numbers.append(response.json()["control_number"])
            await asyncio.sleep(0.05)

        await eventually(lambda: cases_opened(system, numbers), timeout=180, interval=1.0)

        async def all_acknowledged() -> bool:
            return all(system.emails_for(n) for n in numbers)

        await eventually(all_acknowledged, timeout=120, interval=1.0)
        # Give stragglers (a second publish, a redelivery) time to do harm if they could.
        await asyncio.sleep(3)
        counts = {n: len(system.emails_for(n)) for n in numbers}
        assert counts == dict.fromkeys(numbers, 1)
        listing = await system.cases.get("/api/v1/cases", params={"limit": 200}, headers=STAFF)
        assert sorted(c["control_number"] for c in listing.json()["items"]) == sorted(numbers)
        for i, number in enumerate(numbers):
            log = await system.notifications.get(
                "/api/v1/messages", params={"recipient": f"restart-{i}@example.org"}
            )
            assert [m["control_number"] for m in log.json()["items"]] == [number]


@pytest.mark.timeout(240)
async def test_worker_killed_mid_activity_still_sends_one_email(
    infra: Infra, tmp_path: Path
) -> None:
    urls = sqlite_urls(tmp_path)
    async with running_system(infra, urls, notifications_worker=False) as system:
        env = {
            "NOTIFICATIONS_DATABASE_URL": urls["notifications"],
            "NOTIFICATIONS_SMTP_URL": infra.smtp_url,
            "TEMPORAL_ADDRESS": system.platform.temporal_address,
            "TEMPORAL_NAMESPACE": system.platform.temporal_namespace,
            "KAFKA_BOOTSTRAP_SERVERS": system.platform.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": system.platform.kafka_topic_prefix,
        }
        slow_worker = ManagedProcess(
            "notifications-worker-slow",
            [sys.executable, "-m", "ombuds_notifications.worker"],
            infra.log_dir,
            {**env, "NOTIFICATIONS_FAULT_PAUSE_BEFORE_SEND_SECONDS": "120"},
        )
        email = "killed-worker@example.org"
        response = await system.intake.post(
            "/api/v1/submissions", json=complaint(email, "The worker dies while sending this.")
        )
        number = response.json()["control_number"]

        async def delivery(status: str) -> dict[str, Any] | None:
            log = await system.notifications.get("/api/v1/messages", params={"recipient": email})
            items = log.json()["items"]
            return items[0] if items and items[0]["status"] == status else None

        try:
            await eventually(lambda: delivery("sending"), timeout=60)
        finally:
            slow_worker.kill()
        assert system.emails_for(number) == []

        worker = ManagedProcess(
            "notifications-worker",
            [sys.executable, "-m", "ombuds_notifications.worker"],
            infra.log_dir,
            env,
        )
        try:
            sent = await eventually(lambda: delivery("sent"), timeout=90, interval=0.5)
        finally:
            worker.stop()
        assert sent["attempts"] == 2
        assert len(system.emails_for(number)) == 1
