"""The one way every entry point (API, staff entry, portal) takes a validated submission in."""

from fastapi import Request

from ombuds_intake import service
from ombuds_intake.forms.paths import ValidatedSubmission
from ombuds_intake.models import Submission
from ombuds_shared.http import session_factory_of


async def accept(
    request: Request,
    validated: ValidatedSubmission,
    idempotency_key: str | None,
    client_ip: str | None,
    account_id: str | None = None,
) -> tuple[Submission, bool]:
    """Store it (see `service.accept_submission`), then wake the relay if it is new."""
    submission, created = await service.accept_submission(
        session_factory_of(request),
        validated,
        idempotency_key,
        client_ip,
        request.app.state.attachment_limits,
        account_id,
    )
    if created:
        request.app.state.relay.notify()
    return submission, created
