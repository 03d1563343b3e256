"""The last word on an unexpected exception: a generic 500 for the caller, the traceback in the log."""

import logging
import uuid

from fastapi import Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

INTERNAL_ERROR_DETAIL = "Something went wrong on our side; nothing was changed."


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    """Answer 500 with an error id and nothing else; log the traceback under that id."""
    error_id = str(uuid.uuid4())
    log.error(
        "%s %s failed; error id %s", request.method, request.url.path, error_id, exc_info=error
    )
    return JSONResponse(
        status_code=500,
        content={"detail": INTERNAL_ERROR_DETAIL, "code": "internal_error", "error_id": error_id},
    )
