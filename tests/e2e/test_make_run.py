"""End to end: `make run` as a newcomer types it, driven over HTTP, then Ctrl-C."""

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ombuds_devstack.processes import free_port, port_open
from ombuds_devstack.run import PORT_VARIABLES
from ombuds_devstack.smtp_sink import read_messages
from ombuds_shared.contracts import case_workflow_id
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.temporal import connect_temporal

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples" / "submissions").glob("*.json"))
STAFF = {"Authorization": "Bearer dev-staff-token"}


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    data_dir: Path
    ports: dict[str, int]
    output: list[str]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[f'{service.upper()}_PORT']}"


def processes_of(data_dir: Path) -> list[int]:
    """Every live process started with this stack's data directory in its environment."""
    marker = f"OMBUDS_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    data_dir = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in PORT_VARIABLES}
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_DATABASE_URL", "_SMTP_URL"))}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "SMTP_URL", "DATABASE_URL", "TEMPORAL_ADDRESS"):
        env.pop(name, None)
    env.update({name: str(port) for name, port in ports.items()})
    env["OMBUDS_DATA_DIR"] = str(data_dir)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C to stop everything." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    running = RunningStack(process, data_dir, ports, output)
    try:
        assert ready.wait(240), "make run did not come up:\n" + "".join(output)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                raise


def wait_for(probe: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not met within {timeout}s")


def test_banner_lists_every_url(stack: RunningStack) -> None:
    banner = "".join(stack.output)
    for service in ("intake", "cases", "referrals", "notifications"):
        assert stack.url(service) in banner
    assert f"http://127.0.0.1:{stack.ports['TEMPORAL_UI_PORT']}" in banner
    for service in ("intake", "cases", "referrals", "notifications"):
        health = httpx.get(f"{stack.url(service)}/healthz")
        assert health.status_code == 200, health.text


def test_every_example_becomes_an_acknowledged_case(stack: RunningStack) -> None:
    accepted = {}
    for path in EXAMPLES:
        body = json.loads(path.read_text())
        response = httpx.post(f"{stack.url('intake')}/api/v1/submissions", json=body)
        assert response.status_code == 201, response.text
        accepted[response.json()["control_number"]] = body

    for number, body in accepted.items():
        case = wait_for(
            lambda n=number: (
                r.json()
                if (
                    r := httpx.get(f"{stack.url('cases')}/api/v1/cases/{n}", headers=STAFF)
                ).status_code
                == 200
                and r.json()["status"] == "triage"
                else None
            )
        )
        assert case["kind"] == body["kind"]
        contact = body.get("contact")
        if contact is None:
            continue
        mail = wait_for(
            lambda n=number: [
                m
                for m in read_messages(stack.data_dir / "mail")
                if m.get("X-Ombuds-Control-Number") == n
            ]
        )
        assert len(mail) == 1
        assert number in mail[0].get_content()
        log = httpx.get(
            f"{stack.url('notifications')}/api/v1/messages", params={"recipient": contact["email"]}
        ).json()
        assert [m["control_number"] for m in log["items"]] == [number]

    anonymous = [n for n, b in accepted.items() if b.get("anonymous")]
    assert anonymous, "the examples include an anonymous submission"
    for number in anonymous:
        assert not [
            m
            for m in read_messages(stack.data_dir / "mail")
            if m.get("X-Ombuds-Control-Number") == number
        ]

    async def workflows_visible() -> list[str]:
        settings = PlatformSettings(temporal_address=f"127.0.0.1:{stack.ports['TEMPORAL_PORT']}")
        client = await connect_temporal(settings)
        statuses = []
        for number in accepted:
            description = await client.get_workflow_handle(case_workflow_id(number)).describe()
            statuses.append(description.status.name if description.status else "UNKNOWN")
        return statuses

    assert asyncio.run(workflows_visible()) == ["RUNNING"] * len(accepted)
    ui = httpx.get(f"http://127.0.0.1:{stack.ports['TEMPORAL_UI_PORT']}/", follow_redirects=True)
    assert ui.status_code == 200


def test_ctrl_c_stops_everything(stack: RunningStack) -> None:
    assert processes_of(stack.data_dir), "the stack's processes carry its data directory"
    os.killpg(stack.process.pid, signal.SIGINT)
    stack.process.wait(60)
    wait_for(lambda: not processes_of(stack.data_dir), timeout=30)
    assert [name for name, port in stack.ports.items() if port_open(port)] == []
