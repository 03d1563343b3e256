"""Files posted with a portal form: stored as unclaimed attachments, as the upload API does;
the submission (or supplement) then claims them in its own transaction."""

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from ombuds_intake.attachments.errors import (
    AttachmentError,
    AttachmentTooLargeError,
    UnsupportedTypeError,
)
from ombuds_intake.attachments.service import store_upload
from ombuds_intake.portal.fields import FieldError
from ombuds_intake.portal.i18n import Translator
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import session_factory_of


def chosen_files(form: FormData, name: str) -> list[UploadFile]:
    """The files chosen in input `name`; a file input left empty posts one nameless part."""
    return [item for item in form.getlist(name) if isinstance(item, UploadFile) and item.filename]


async def store_files(
    request: Request, uploads: list[UploadFile], field_id: str, t: Translator
) -> list[str] | FieldError:
    """Store each file; their attachment ids, or the error to show on the file field."""
    limits = request.app.state.attachment_limits
    if len(uploads) > limits.max_count:
        return FieldError(field_id, t("files_err_count", max=limits.max_count))
    client_ip = request.client.host if request.client else None
    ids: list[str] = []
    for upload in uploads:
        data = await upload.read()
        try:
            async with UnitOfWork(session_factory_of(request)) as uow:
                attachment = await store_upload(
                    uow.session,
                    request.app.state.attachment_store,
                    upload.filename,
                    data,
                    client_ip,
                    limits,
                )
                await uow.commit()
        except AttachmentError as error:
            key = (
                "supplement_err_type"
                if isinstance(error, UnsupportedTypeError)
                else "supplement_err_size"
                if isinstance(error, AttachmentTooLargeError)
                else "supplement_err_file"
            )
            return FieldError(field_id, t(key))
        ids.append(attachment.id)
    return ids
