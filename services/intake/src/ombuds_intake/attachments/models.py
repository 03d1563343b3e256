"""Uploaded files: the row keeps what we know about a file, the store keeps its bytes."""

import secrets
import string
from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_intake.models import Base
from ombuds_shared.db import UtcDateTime, utcnow

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
ATTACHMENT_ID_PREFIX = "att_"
ATTACHMENT_ID_PATTERN = r"^att_[A-Za-z0-9_-]{26}$"
MAX_FILENAME_LENGTH = 255


def new_attachment_id() -> str:
    """`att_` and 26 random URL-safe characters (156 bits): the id is the only key to the file."""
    return ATTACHMENT_ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))


def new_storage_key() -> str:
    """A random name for the stored bytes, fanned out over 256 folders; never the client's name."""
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}"


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=new_attachment_id)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True, default=new_storage_key)
    # Metadata only, sanitised; the file is never stored or served under this name.
    original_filename: Mapped[str] = mapped_column(String(MAX_FILENAME_LENGTH))
    # Detected from the bytes, never taken from the client.
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uploader_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Set once, by the submission that claims the file, in that submission's transaction.
    control_number: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
