"""Attachment decisions: accept an upload, then hand it to exactly one submission."""

import asyncio
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_intake.attachments import repository
from ombuds_intake.attachments.errors import (
    AttachmentAlreadyClaimedError,
    AttachmentTooLargeError,
    DuplicateAttachmentError,
    EmptyFileError,
    TooManyAttachmentsError,
    UnknownAttachmentError,
)
from ombuds_intake.attachments.models import (
    MAX_FILENAME_LENGTH,
    Attachment,
    new_attachment_id,
    new_storage_key,
)
from ombuds_intake.attachments.sniffing import sniff
from ombuds_intake.attachments.storage import AttachmentStore
from ombuds_intake.config import Settings
from ombuds_shared.db import utcnow

MIB = 1024 * 1024
DEFAULT_FILENAME = "attachment"


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = 10 * MIB
    max_count: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> "AttachmentLimits":
        return cls(max_bytes=settings.attachment_max_bytes, max_count=settings.attachment_max_count)


def describe_size(size: int) -> str:
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def sanitise_filename(name: str | None) -> str:
    """The client's file name made safe to keep as metadata: no path, no control characters."""
    if not name:
        return DEFAULT_FILENAME
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    # Category C covers control and format characters, including the right-to-left override
    # that makes `invoice\u202efdp.exe` display as `invoiceexe.pdf`.
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = f"{stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip()}.{extension}"
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip()
    return name or DEFAULT_FILENAME


async def store_upload(
    session: AsyncSession,
    store: AttachmentStore,
    filename: str | None,
    data: bytes,
    uploader_ip: str | None,
    limits: AttachmentLimits,
) -> Attachment:
    """Check an uploaded file, write it to the store under a new name and add its row (no commit)."""
    if not data:
        raise EmptyFileError("the file is empty")
    if len(data) > limits.max_bytes:
        raise AttachmentTooLargeError(f"file is larger than {describe_size(limits.max_bytes)}")
    content_type = sniff(data)
    digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    attachment = Attachment(
        id=new_attachment_id(),
        storage_key=new_storage_key(),
        original_filename=sanitise_filename(filename),
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        uploaded_at=utcnow(),
        uploader_ip=uploader_ip,
    )
    # Bytes first, row second: a failure in between leaves an unreferenced file, never a row
    # that points at nothing.
    await store.put(attachment.storage_key, data)
    session.add(attachment)
    return attachment


def _shown(attachment_id: str) -> str:
    return attachment_id if len(attachment_id) <= 40 else attachment_id[:40] + "…"


async def claim_for_submission(
    session: AsyncSession,
    attachment_ids: Sequence[str],
    control_number: str,
    limits: AttachmentLimits = AttachmentLimits(),
) -> list[Attachment]:
    """Give uploaded files to a submission, inside its transaction: all of them or none."""
    if len(attachment_ids) > limits.max_count:
        raise TooManyAttachmentsError(
            f"a submission can have at most {limits.max_count} attachments; "
            f"{len(attachment_ids)} were given"
        )
    seen: set[str] = set()
    for attachment_id in attachment_ids:
        if attachment_id in seen:
            raise DuplicateAttachmentError(
                f"attachment {_shown(attachment_id)} is listed more than once", attachment_id
            )
        seen.add(attachment_id)
    if not attachment_ids:
        return []
    found = await repository.by_ids_for_update(session, attachment_ids)
    for attachment_id in attachment_ids:
        attachment = found.get(attachment_id)
        if attachment is None:
            raise UnknownAttachmentError(
                f"attachment {_shown(attachment_id)} was not found; please upload the file again",
                attachment_id,
            )
        if attachment.control_number is not None:
            raise AttachmentAlreadyClaimedError(
                f"attachment {attachment_id} is already part of another submission",
                attachment_id,
            )
    # The conditional update is what makes two concurrent claims safe where rows cannot be
    # locked (SQLite): only one of them can move a row out of "unclaimed".
    claimed = await repository.claim_unclaimed(session, attachment_ids, control_number, utcnow())
    if claimed != len(attachment_ids):
        taken = set(await repository.claimed_by_others(session, attachment_ids, control_number))
        first = next((i for i in attachment_ids if i in taken), attachment_ids[0])
        raise AttachmentAlreadyClaimedError(
            f"attachment {first} is already part of another submission", first
        )
    return [found[attachment_id] for attachment_id in attachment_ids]
