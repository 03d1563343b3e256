"""The development SMTP sink keeps every message in a Maildir a person (or a test) can read."""

import mailbox
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from ombuds_devstack.processes import free_port, port_open
from ombuds_devstack.smtp_sink import read_messages, start_sink


def _message(subject: str, to: str = "ana@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ombuds <no-reply@ombuds.localhost>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Número de control: OMB-3F7KQ-9XW2M-T\n")
    return message


def _send(port: int, message: EmailMessage, recipients: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, to_addrs=recipients)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Controller]:
    controller = start_sink("127.0.0.1", 0, tmp_path / "mail")
    yield controller
    controller.stop()


def test_stores_and_reads_back_a_message(sink: Controller, tmp_path: Path) -> None:
    maildir = tmp_path / "mail"

    _send(sink.port, _message("Recibimos su queja"))

    [stored] = read_messages(maildir)
    assert stored["Subject"] == "Recibimos su queja"
    assert stored["To"] == "ana@example.org"
    assert stored["X-Original-To"] == "ana@example.org"
    assert stored["Return-Path"] == "<no-reply@ombuds.localhost>"
    assert "Número de control: OMB-3F7KQ-9XW2M-T" in stored.get_content()
    # A standard Maildir, so any mail client opens it too.
    assert all((maildir / sub).is_dir() for sub in ("cur", "new", "tmp"))
    assert len(mailbox.Maildir(maildir, create=False)) == 1


def test_keeps_every_message_in_order_with_envelope_recipients(
    sink: Controller, tmp_path: Path
) -> None:
    for n in range(3):
        _send(sink.port, _message(f"message {n}"), ["ana@example.org", "hidden@example.org"])

    stored = read_messages(tmp_path / "mail")

    assert [m["Subject"] for m in stored] == ["message 0", "message 1", "message 2"]
    assert stored[0]["X-Original-To"] == "ana@example.org, hidden@example.org"


def test_no_maildir_reads_as_empty(tmp_path: Path) -> None:
    assert read_messages(tmp_path / "nothing-here") == []


def test_command_line_sink_logs_each_message_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, maildir = free_port(), tmp_path / "cli-mail"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ombuds_devstack.smtp_sink",
            "--port",
            str(port),
            "--maildir",
            str(maildir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            if port_open(port) or process.poll() is not None:
                break
            time.sleep(0.1)
        _send(port, _message("hello from the test"))
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)

    log = output.decode()
    assert process.returncode == 0, log
    assert "mail for ana@example.org: hello from the test" in log
    assert [m["Subject"] for m in read_messages(maildir)] == ["hello from the test"]
