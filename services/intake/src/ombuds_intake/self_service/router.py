"""Self-service API by control number: ask for a code, confirm it, then act with the token."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi import Path as PathParam

from ombuds_intake.router import _canonical
from ombuds_intake.self_service import service
from ombuds_intake.self_service.schemas import (
    AmendmentView,
    CorrectionRequest,
    SelfServiceToken,
    SupplementRequest,
    SupplementView,
    VerificationConfirmation,
    VerificationRequest,
    VerificationRequested,
    WithdrawalRequest,
    WithdrawalView,
)
from ombuds_intake.self_service.tokens import TOKEN_MAX_AGE_SECONDS, issue_token, token_controls
from ombuds_intake.verification.service import Redemption
from ombuds_shared.http import SessionFactoryDep

TOKEN_HEADER = "X-Self-Service-Token"
CODE_SENT = (
    "If this email address is the one the submission was sent with, a code is on its way to "
    "it. Anonymous submissions cannot be changed online."
)

router = APIRouter(prefix="/api/v1/submissions", tags=["self-service"])

ControlNumber = Annotated[str, PathParam(max_length=40)]


def verification_secret(request: Request) -> str:
    secret: str = request.app.state.settings.verification_secret.get_secret_value()
    return secret


async def controlled_number(
    request: Request,
    control_number: ControlNumber,
    x_self_service_token: Annotated[str | None, Header(max_length=2000)] = None,
) -> str:
    """The canonical control number, once the token proves control of it (401 otherwise)."""
    canonical = _canonical(control_number)
    if not token_controls(verification_secret(request), x_self_service_token, canonical):
        raise service.NotVerifiedError()
    return canonical


Controlled = Annotated[str, Depends(controlled_number)]
_REFUSALS: dict[int | str, dict[str, str]] = {
    401: {"description": "No, a wrong or an expired self-service token"},
    409: {"description": "The submission is already withdrawn or closed"},
    422: {"description": "Invalid request: each error names the field and the rule"},
}


@router.post(
    "/{control_number}/verification",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=VerificationRequested,
    responses={422: {"description": "The control number fails its check character"}},
)
async def request_verification(
    control_number: ControlNumber,
    body: VerificationRequest,
    request: Request,
    session_factory: SessionFactoryDep,
) -> VerificationRequested:
    """Send a one-time code (and link) to the submission's email, if `email` is it.

    The answer is the same whether or not the email matches, so it reveals nothing.
    """
    settings = request.app.state.settings
    issued = await service.request_code(
        session_factory,
        _canonical(control_number),
        body.email,
        verification_secret(request),
        settings.public_url,
    )
    if issued:
        request.app.state.relay.notify()
    return VerificationRequested(detail=CODE_SENT)


@router.post(
    "/{control_number}/verification/confirm",
    response_model=SelfServiceToken,
    responses={422: {"description": "Wrong code (with the tries left), locked or expired"}},
)
async def confirm_verification(
    control_number: ControlNumber,
    body: VerificationConfirmation,
    request: Request,
    session_factory: SessionFactoryDep,
) -> SelfServiceToken:
    """Trade the emailed code for a token good for one hour on this submission."""
    canonical = _canonical(control_number)
    secret = verification_secret(request)
    check = await service.confirm_code(session_factory, canonical, body.code, secret)
    if check.redemption is Redemption.WRONG:
        plural = "try" if check.tries_left == 1 else "tries"
        raise service.field_error(
            "code",
            "code_mismatch",
            f"the code is not right; {check.tries_left} {plural} left",
        )
    if check.redemption is Redemption.LOCKED:
        raise service.field_error(
            "code", "code_locked", "too many wrong tries for this code; ask for a new code"
        )
    if check.redemption is Redemption.UNAVAILABLE:
        raise service.field_error(
            "code", "code_expired", "this code has expired or was already used; ask for a new code"
        )
    return SelfServiceToken(
        token=issue_token(secret, canonical),
        expires_in=TOKEN_MAX_AGE_SECONDS,
        control_number=canonical,
    )


@router.post(
    "/{control_number}/supplements",
    status_code=status.HTTP_201_CREATED,
    response_model=SupplementView,
    responses=_REFUSALS,
)
async def add_supplement(
    control_number: Controlled,
    body: SupplementRequest,
    request: Request,
    session_factory: SessionFactoryDep,
) -> SupplementView:
    """Add more text or files (ids from `POST /api/v1/attachments`) to the submission."""
    row = await service.supplement(
        session_factory,
        control_number,
        body.text,
        list(body.attachments),
        request.app.state.attachment_limits,
        reply_to_request=body.reply_to_request,
    )
    request.app.state.relay.notify()
    return SupplementView.model_validate(row, from_attributes=True)


@router.post(
    "/{control_number}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=AmendmentView,
    responses=_REFUSALS,
)
async def add_correction(
    control_number: Controlled,
    body: CorrectionRequest,
    request: Request,
    session_factory: SessionFactoryDep,
) -> AmendmentView:
    """Amend one field of the submission's question path (`contact.phone`, ...).

    The value is checked by that field's rule in the submission's own form version; the
    original stays on record and the amendment is logged beside it.
    """
    row = await service.correct(
        session_factory, control_number, body.field, body.value, body.reason
    )
    request.app.state.relay.notify()
    return AmendmentView.model_validate(row, from_attributes=True)


@router.post("/{control_number}/withdrawal", response_model=WithdrawalView, responses=_REFUSALS)
async def withdraw(
    control_number: Controlled,
    body: WithdrawalRequest,
    request: Request,
    session_factory: SessionFactoryDep,
) -> WithdrawalView:
    """Withdraw the submission: its case closes as withdrawn and is still retained."""
    row = await service.withdraw(session_factory, control_number, body.reason)
    request.app.state.relay.notify()
    return WithdrawalView(
        control_number=row.control_number,
        status="withdrawn",
        reason=row.reason,
        withdrawn_at=row.withdrawn_at,
    )
