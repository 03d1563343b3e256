"""The SMTP URL, the message built for it, and which addresses may go in an envelope."""

import pytest

from ombuds_notifications.config import Settings
from ombuds_notifications.service import is_deliverable_address
from ombuds_notifications.smtp import OutgoingEmail, SmtpServer, build_message


def test_plain_url() -> None:
    assert SmtpServer.from_url("smtp://127.0.0.1:1025") == SmtpServer("127.0.0.1", 1025)


def test_credentials_and_starttls() -> None:
    server = SmtpServer.from_url("smtp://mailer:p%40ss%3Aword@mail.example:587?starttls=true")

    assert (server.hostname, server.port) == ("mail.example", 587)
    assert (server.username, server.password) == ("mailer", "p@ss:word")
    assert (server.use_tls, server.start_tls) == (False, True)


def test_starttls_can_be_refused() -> None:
    assert SmtpServer.from_url("smtp://mail.example?starttls=false").start_tls is False
    assert SmtpServer.from_url("smtp://mail.example").port == 25


def test_implicit_tls() -> None:
    server = SmtpServer.from_url("smtps://mail.example")

    assert (server.port, server.use_tls, server.start_tls) == (465, True, False)


@pytest.mark.parametrize("url", ["http://mail.example", "smtps://mail.example?starttls=true"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="smtp"):
        SmtpServer.from_url(url)


def test_settings_read_either_smtp_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_URL", "smtp://shared:25")
    assert Settings().smtp_url == "smtp://shared:25"
    monkeypatch.setenv("NOTIFICATIONS_SMTP_URL", "smtp://own:25")
    assert Settings().smtp_url == "smtp://own:25"


def test_message_headers() -> None:
    message = build_message(
        OutgoingEmail(
            message_id="0b6f6c8e-6b8f-4a51-9f37-2f8c8f7c4f11",
            control_number="OMB-3F7KQ-9XW2M-T",
            sender="Ombuds <no-reply@ombuds.localhost>",
            recipient="ana@example.org",
            recipient_name="Ana\r\nBcc: victim@example.org",
            language="es",
            subject="Recibimos su queja",
            body="Hola\n",
        )
    )

    assert message["Message-ID"] == "<0b6f6c8e-6b8f-4a51-9f37-2f8c8f7c4f11@ombuds.localhost>"
    assert message["X-Ombuds-Control-Number"] == "OMB-3F7KQ-9XW2M-T"
    assert message["Content-Language"] == "es"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Bcc"] is None
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert message.get_content_type() == "text/plain"


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ana@example.org", True),
        ("ana+case@ombuds.localhost", True),
        ("ana.pérez@example.org", True),
        ("not-an-address", False),
        ("@example.org", False),
        ("ana@", False),
        ("a@b@example.org", False),
        ("ana @example.org", False),
        ("ana@example.org\r\nBcc: victim@example.org", False),
    ],
)
def test_deliverable_addresses(address: str, ok: bool) -> None:
    assert is_deliverable_address(address) is ok
