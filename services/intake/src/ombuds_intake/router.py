"""Intake's public HTTP API."""

import json
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Request, Response, status
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ombuds_intake import service
from ombuds_intake.acceptance import accept
from ombuds_intake.forms.definition import FormDefinition, available_versions, load_definition
from ombuds_intake.forms.paths import validate_submission
from ombuds_intake.models import Submission
from ombuds_intake.schemas import SubmissionAccepted, SubmissionStatus
from ombuds_intake.self_service import service as self_service
from ombuds_intake.self_service.schemas import AmendmentSummary, SupplementSummary
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.http import NotFoundError, ServiceError, SessionFactoryDep

router = APIRouter(prefix="/api/v1", tags=["submissions"])

_EXAMPLE_DIR = Path(__file__).resolve().parents[4] / "examples" / "submissions"
_EXAMPLES: dict[str, Any] = {
    path.stem: {"summary": path.stem, "value": json.loads(path.read_text())}
    for path in sorted(_EXAMPLE_DIR.glob("*.json"))
}


class FormVersionNotFoundError(NotFoundError):
    pass


class ControlNumberTypoError(ServiceError):
    status_code = 422
    code = "control_number_check_failed"


def _canonical(control_number: str) -> str:
    try:
        return parse_control_number(control_number)
    except InvalidControlNumber as error:
        raise ControlNumberTypoError(str(error)) from error


@router.post(
    "/submissions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionAccepted,
    responses={
        409: {"description": "Idempotency-Key reused with a different body"},
        413: {"description": "Body over 1 MiB"},
        422: {"description": "Invalid submission: each error names the field and the rule"},
        503: {"description": "Cannot accept now; nothing was stored"},
    },
)
async def submit(
    body: Annotated[dict[str, Any], Body(openapi_examples=_EXAMPLES)],
    request: Request,
    response: Response,
    session_factory: SessionFactoryDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SubmissionAccepted:
    """Accept a submission and issue its control number.

    The body follows the question path of its `category`, as `GET /api/v1/forms` describes:
    each path asks its own fields, marks the required ones, and refuses any other.
    """
    client_ip = request.client.host if request.client else None
    submission, created = await accept(
        request, validate_submission(body), idempotency_key, client_ip
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    acknowledgement = (
        "Anonymous submissions receive no response; keep your control number to refer to it."
        if submission.anonymous
        else "An acknowledgement with your control number is on its way to your email."
    )
    return _accepted(submission, acknowledgement)


def _accepted(submission: Submission, acknowledgement: str) -> SubmissionAccepted:
    return SubmissionAccepted(
        control_number=submission.control_number,
        status=submission.status,
        received_at=submission.received_at,
        form_version=submission.form_version,
        acknowledgement=acknowledgement,
        status_url=f"/api/v1/submissions/{submission.control_number}/status",
    )


bearer = HTTPBearer(auto_error=False)


async def require_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    expected: str = request.app.state.settings.staff_token.get_secret_value()
    if credentials is None or not secrets.compare_digest(credentials.credentials, expected):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="A staff bearer token is required to enter a submission for someone.",
            headers={"WWW-Authenticate": "Bearer"},
        )


_STAFF_ACKNOWLEDGEMENTS = {
    "phone": "Read the control number back to the caller: {spelled}.",
    "letter": "An acknowledgement letter with the control number will be prepared for mailing.",
    "comment_card": "An acknowledgement letter with the control number will be prepared for mailing.",
    "fax": "An acknowledgement letter with the control number will be prepared for mailing.",
    "email": "An acknowledgement with the control number is on its way to the sender's email.",
}


@router.post(
    "/staff/submissions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionAccepted,
    dependencies=[Depends(require_staff)],
    tags=["staff"],
    responses={
        401: {"description": "No or wrong staff bearer token"},
        422: {"description": "Invalid submission: each error names the field and the rule"},
    },
)
async def submit_for_someone(
    body: Annotated[dict[str, Any], Body()],
    request: Request,
    response: Response,
    session_factory: SessionFactoryDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SubmissionAccepted:
    """Enter a submission that came by phone, letter, comment card, fax or email.

    The same question paths apply; instead of the web consent checkboxes the body names the
    `channel`, confirms the details were checked with the submitter (`information_confirmed`),
    and carries the call (`call`: time and caller number) or the scanned document
    (`scanned_document`: an id from `POST /api/v1/attachments`).
    """
    submission, created = await accept(
        request, validate_submission(body, audience="staff"), idempotency_key, None
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    spelled = " ".join(submission.control_number.replace("-", " - "))
    acknowledgement = (
        "Anonymous: no response will be sent; give the control number if asked."
        if submission.anonymous
        else _STAFF_ACKNOWLEDGEMENTS[submission.channel].format(spelled=spelled)
    )
    return _accepted(submission, acknowledgement)


@router.get(
    "/submissions/{control_number}/status",
    response_model=SubmissionStatus,
    responses={
        404: {"description": "No submission with this number and email"},
        422: {"description": "The control number fails its check character"},
    },
)
async def submission_status(
    control_number: Annotated[str, PathParam(max_length=40)],
    x_submitter_email: Annotated[str, Header(max_length=320)],
    session_factory: SessionFactoryDep,
) -> SubmissionStatus:
    """The current status, for the person who submitted it."""
    async with session_factory() as session:
        submission = await service.submission_status(
            session, _canonical(control_number), x_submitter_email
        )
        added = await self_service.history(session, submission.control_number)
    return SubmissionStatus(
        control_number=submission.control_number,
        kind=submission.kind,
        category=submission.category,
        status=submission.status,
        received_at=submission.received_at,
        status_updated_at=submission.status_updated_at,
        supplements=[
            SupplementSummary(
                supplement_id=row.supplement_id,
                supplemented_at=row.supplemented_at,
                attachment_count=len(row.attachments),
            )
            for row in added.supplements
        ],
        amendments=[
            AmendmentSummary(
                amendment_id=row.amendment_id, field=row.field, amended_at=row.amended_at
            )
            for row in added.amendments
        ],
    )


@router.get("/forms", response_model=FormDefinition, tags=["forms"])
async def current_form() -> FormDefinition:
    """The current question paths: each category's sections, fields, required flags, labels."""
    return load_definition()


@router.get("/forms/{version}", response_model=FormDefinition, tags=["forms"])
async def form_version(version: Annotated[str, PathParam(max_length=32)]) -> FormDefinition:
    """An earlier (or the current) version of the question paths, as it was."""
    if version not in available_versions():
        raise FormVersionNotFoundError(
            f"No form version {version}; known: {', '.join(available_versions())}."
        )
    return load_definition(version)
