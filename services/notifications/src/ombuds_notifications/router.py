"""Notifications' HTTP API: the delivery log, by recipient or case, and printable letters."""

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response

from ombuds_notifications import service
from ombuds_notifications.pdf import letter_pdf
from ombuds_notifications.schemas import BounceIn, MessageOut, MessagePage
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import SessionFactoryDep

router = APIRouter(prefix="/api/v1", tags=["messages"])

# The letter is stored HTML with personal data: nothing but its own inline style may load,
# and no cache keeps a copy.
_LETTER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "private, no-store",
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9-]")


@router.get("/messages", response_model=MessagePage)
async def list_messages(
    session_factory: SessionFactoryDep,
    recipient: Annotated[str | None, Query(min_length=3, max_length=320)] = None,
    control_number: Annotated[str | None, Query(min_length=3, max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MessagePage:
    """Messages to one recipient and/or for one case, newest first."""
    if recipient is None and control_number is None:
        message = "Give recipient or control_number (or both)."
        raise RequestValidationError(
            [
                {"loc": ("query", name), "type": "missing", "msg": message}
                for name in ("recipient", "control_number")
            ]
        )
    async with session_factory() as session:
        items, total = await service.find_messages(
            session, recipient, control_number, limit, offset
        )
    return MessagePage(
        items=[MessageOut.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/messages/{message_id}/letter",
    response_class=HTMLResponse,
    responses={404: {"description": "No such message, or it is not a letter."}},
)
async def get_letter(session_factory: SessionFactoryDep, message_id: str) -> HTMLResponse:
    """The printable acknowledgement letter, as HTML to open and print."""
    async with session_factory() as session:
        letter = await service.letter(session, message_id)
    assert letter.body is not None
    filename = _letter_filename(letter.template, letter.control_number, "html")
    return HTMLResponse(
        letter.body,
        headers={**_LETTER_HEADERS, "Content-Disposition": f'inline; filename="{filename}"'},
    )


def _letter_filename(template: str, control_number: str, extension: str) -> str:
    name = template.removesuffix("_letter").replace("_", "-")
    return (
        f"{_UNSAFE_FILENAME.sub('_', name)}-{_UNSAFE_FILENAME.sub('_', control_number)}.{extension}"
    )


@router.get(
    "/messages/{message_id}/letter.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"description": "No such message, or it is not a letter."},
    },
)
async def get_letter_pdf(session_factory: SessionFactoryDep, message_id: str) -> Response:
    """The printable letter as a PDF: address block, control number, date and body."""
    async with session_factory() as session:
        letter = await service.letter(session, message_id)
    assert letter.body is not None
    # fpdf2 is pure Python and CPU-bound: keep it off the event loop.
    content = await asyncio.to_thread(letter_pdf, letter.body, letter.subject)
    filename = _letter_filename(letter.template, letter.control_number, "pdf")
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


@router.post(
    "/messages/{message_id}/bounce",
    response_model=MessageOut,
    responses={
        404: {"description": "No such message."},
        409: {"description": "The message is not an email."},
    },
)
async def report_bounce(
    request: Request, session_factory: SessionFactoryDep, message_id: str, bounce: BounceIn
) -> MessageOut:
    """A mail provider reports that an email did not arrive; the case is told once."""
    async with UnitOfWork(session_factory) as uow:
        message = await service.record_bounce(uow.session, message_id, bounce.reason)
        await uow.commit()
    relay = getattr(request.app.state, "relay", None)
    if relay is not None:
        # The `notification.failed` event is in the outbox: publish it now, not at the next poll.
        relay.notify()
    return MessageOut.model_validate(message)
