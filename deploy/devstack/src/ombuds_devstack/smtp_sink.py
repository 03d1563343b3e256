"""A local SMTP server that keeps every message in a Maildir, so a person can read them.

`python -m ombuds_devstack.smtp_sink --host 127.0.0.1 --port 1025 --maildir .data/mail`

Any mail client reads the Maildir (`mutt -f .data/mail`), and so does `read_messages`. Each
stored message gains `Return-Path` and `X-Original-To` headers from the SMTP envelope, since
the envelope recipients (Bcc included) are not otherwise in the message.
"""

import argparse
import asyncio
import logging
import mailbox
import signal
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("ombuds_devstack.smtp_sink")

ACCEPTED = "250 Message accepted for delivery"


class MaildirHandler:
    """aiosmtpd handler: store each message in the Maildir and log one line about it."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self._mailbox = mailbox.Maildir(maildir, create=True)
        self._lock = threading.Lock()

    def _store(self, content: bytes) -> str:
        with self._lock:
            key: str = self._mailbox.add(content)
            return key

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        recipients = ", ".join(envelope.rcpt_tos)
        trace_headers = f"Return-Path: <{envelope.mail_from}>\r\nX-Original-To: {recipients}\r\n"
        stored = trace_headers.encode() + content
        # Writing the file is blocking I/O; keep it off the server's event loop.
        await asyncio.to_thread(self._store, stored)
        headers = BytesParser(policy=policy.default).parsebytes(content, headersonly=True)
        log.info("mail for %s: %s", recipients, headers.get("Subject", "(no subject)"))
        return ACCEPTED


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def start_sink(host: str, port: int, maildir: Path | str) -> Controller:
    """Start the sink in a background thread; `port=0` picks a free port (see `.port`).

    Call `.stop()` on the returned controller to shut it down.
    """
    path = Path(maildir)
    controller = Controller(
        MaildirHandler(path),
        hostname=host,
        port=port or _free_port(host),
        # A fixed name: the default asks DNS for this machine's FQDN, which can be slow.
        server_hostname="ombuds-smtp-sink",
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller


def read_messages(maildir: Path | str) -> list[EmailMessage]:
    """Every message in the Maildir, oldest first; empty if there is no Maildir yet."""
    path = Path(maildir)
    if not (path / "new").is_dir():
        return []
    box = mailbox.Maildir(path, create=False)
    parser = BytesParser(policy=policy.default)
    found: list[tuple[float, str, EmailMessage]] = []
    for key in box.iterkeys():
        try:
            delivered = box.get_message(key).get_date()
            found.append((delivered, key, parser.parsebytes(box.get_bytes(key))))
        except KeyError:
            continue  # moved or deleted by a mail client while we were reading
    found.sort(key=lambda item: (item[0], item[1]))
    return [message for _, _, message in found]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SMTP sink that stores mail in a Maildir.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path(".data/mail"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # aiosmtpd logs every SMTP command at INFO; one line per message is what we want.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    controller = start_sink(args.host, args.port, args.maildir)
    log.info(
        "SMTP sink on %s:%d, storing mail in %s", args.host, controller.port, args.maildir.resolve()
    )
    try:
        stop.wait()
    finally:
        controller.stop()
        log.info("SMTP sink stopped")


if __name__ == "__main__":
    main()
