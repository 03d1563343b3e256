"""`POST /api/v1/attachments`: one file in, an id to quote in the submission out."""

import logging
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile, status

from ombuds_intake.attachments import service
from ombuds_intake.attachments.schemas import AttachmentUploaded
from ombuds_intake.attachments.service import AttachmentLimits
from ombuds_intake.attachments.storage import AttachmentStore
from ombuds_shared.db import UnitOfWork

log = logging.getLogger(__name__)

ATTACHMENTS_PATH = "/api/v1/attachments"
# Boundary lines and part headers (a long file name included) around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def upload_body_limit(max_bytes: int) -> int:
    """The request-body limit for the upload path: one file plus its multipart framing."""
    return max_bytes + MULTIPART_OVERHEAD


def attachments_router(limits: AttachmentLimits) -> APIRouter:
    """The upload endpoint, enforcing `limits`; the store comes from `app.state.attachment_store`."""
    router = APIRouter(prefix="/api/v1", tags=["attachments"])

    @router.post(
        "/attachments",
        status_code=status.HTTP_201_CREATED,
        response_model=AttachmentUploaded,
        responses={
            413: {"description": f"File over {service.describe_size(limits.max_bytes)}"},
            422: {"description": "Empty, incomplete, or not a PDF, JPEG or PNG file"},
            503: {"description": "Cannot store files now; nothing was stored"},
        },
    )
    async def upload_attachment(
        request: Request,
        file: Annotated[UploadFile, File(description="One PDF, JPEG or PNG file.")],
    ) -> AttachmentUploaded:
        """Upload one file; quote the returned id in the submission to attach it."""
        store: AttachmentStore = request.app.state.attachment_store
        # One byte over the limit is enough to refuse it; the body limit bounds the rest.
        data = await file.read(limits.max_bytes + 1)
        client_ip = request.client.host if request.client else None
        async with UnitOfWork(request.app.state.session_factory) as uow:
            attachment = await service.store_upload(
                uow.session, store, file.filename, data, client_ip, limits
            )
            try:
                await uow.commit()
            except Exception:
                await _forget(store, attachment.storage_key)
                raise
        return AttachmentUploaded(
            id=attachment.id,
            content_type=attachment.content_type,
            size_bytes=attachment.size_bytes,
            sha256=attachment.sha256,
            filename=attachment.original_filename,
        )

    return router


async def _forget(store: AttachmentStore, key: str) -> None:
    """The row was not stored, so the bytes must not stay either (best effort)."""
    try:
        await store.delete(key)
    except Exception:
        log.warning("could not remove attachment %s after a failed commit", key, exc_info=True)
