"""Sending one message over SMTP; the `smtp_url` setting says where and how."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from opentelemetry import trace
from opentelemetry.trace import SpanKind

tracer = trace.get_tracer(__name__)

MESSAGE_ID_DOMAIN = "ombuds.localhost"
_TRUE = ("1", "true", "yes", "on")


class RecipientRefusedError(Exception):
    """The server permanently refused the recipient (5xx on RCPT): retrying cannot help."""

    def __init__(self, code: int, reply: str) -> None:
        super().__init__(f"recipient refused: {code} {reply}")
        self.code = code
        self.reply = reply


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    # None: upgrade when the server offers STARTTLS (aiosmtplib's default).
    start_tls: bool | None = None
    timeout_seconds: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """Parse `smtp[s]://[user[:password]@]host[:port][?starttls=true|false]`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, not {parts.scheme!r}")
        use_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls")
        start_tls = None if not starttls else starttls[-1].strip().lower() in _TRUE
        if use_tls and start_tls:
            raise ValueError("smtps:// is already TLS; drop ?starttls=true")
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
        )


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str
    control_number: str
    sender: str
    recipient: str
    recipient_name: str
    language: str
    subject: str
    body: str
    # An HTML alternative with the same words; plain-text-only mail leaves it out.
    html: str | None = None


def message_id_header(message_id: str) -> str:
    return f"<{message_id}@{MESSAGE_ID_DOMAIN}>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(outgoing: OutgoingEmail) -> EmailMessage:
    """The MIME message; its Message-ID is the same on every attempt, so retries dedupe."""
    message = EmailMessage()
    message["From"] = outgoing.sender
    message["To"] = formataddr((_one_line(outgoing.recipient_name), outgoing.recipient))
    message["Subject"] = _one_line(outgoing.subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id_header(outgoing.message_id)
    message["X-Ombuds-Control-Number"] = outgoing.control_number
    # RFC 3834: vacation responders should not answer an automatic acknowledgement.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(outgoing.body)
    if outgoing.html is not None:
        message.add_alternative(outgoing.html, subtype="html")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = outgoing.language
    return message


async def send_email(server: SmtpServer, outgoing: OutgoingEmail) -> None:
    """Deliver `outgoing` to the server; raise RecipientRefusedError on a permanent refusal."""
    message = build_message(outgoing)
    attributes: dict[str, str | int] = {
        "server.address": server.hostname,
        "server.port": server.port,
        "ombuds.control_number": outgoing.control_number,
        "ombuds.message_id": outgoing.message_id,
    }
    with tracer.start_as_current_span("smtp.send", kind=SpanKind.CLIENT, attributes=attributes):
        try:
            await aiosmtplib.send(
                message,
                sender=parseaddr(outgoing.sender)[1],
                recipients=[outgoing.recipient],
                hostname=server.hostname,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                start_tls=server.start_tls,
                timeout=server.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            permanent = [r for r in error.recipients if 500 <= r.code < 600]
            if permanent:
                raise RecipientRefusedError(permanent[0].code, permanent[0].message) from error
            raise
