"""Sign in (email, password, TOTP code), sign out, and replace a one-time password."""

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from ombuds_cases.staff import errors, signin
from ombuds_cases.staff.auth import SESSION_COOKIE, signed_in
from ombuds_cases.staff.policy import StaffActor
from ombuds_cases.staff.schemas import PasswordChange, SignIn
from ombuds_cases.ui.pages import (
    PASSWORD_PATH,
    PREFIX,
    SIGN_IN_PATH,
    CheckedForm,
    FieldError,
    PageRedirect,
    field_errors,
    form_values,
    render,
    see_other,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import session_factory_of

router = APIRouter(include_in_schema=False)


@router.get(SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    signed_out = request.query_params.get("signed_out") == "1"
    return render(request, "sign_in.html", {"values": {}, "signed_out": signed_out})


@router.post(SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in(request: Request, form: CheckedForm) -> Response:
    """Open a session with the same sign-in service and cookie as the JSON API."""
    values = form_values(form, ("email", "password", "code"))
    try:
        body = SignIn.model_validate(
            {name: values.get(name, "") for name in ("email", "password", "code")}
        )
    except ValidationError as error:
        return _sign_in_again(request, values, field_errors(error, "sign-in"))
    settings = request.app.state.settings
    async with UnitOfWork(session_factory_of(request)) as uow:
        try:
            token, _, account = await signin.sign_in(
                uow.session,
                str(body.email),
                body.password,
                body.code,
                utcnow(),
                timedelta(hours=settings.staff_session_hours),
            )
        except (errors.AccountBlockedError, errors.SignInRefusedError) as error:
            # Keep what the attempt taught: a failure counted, or a right code now used up.
            await uow.commit()
            return _sign_in_again(request, values, [FieldError("sign-in-email", error.message)])
        await uow.commit()
    response = see_other(PASSWORD_PATH if account.password_must_change else "/staff/cases")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.staff_session_hours * 3600,
        httponly=True,
        secure=settings.platform.environment != "development",
        samesite="strict",
        path="/",
    )
    return response


def _sign_in_again(
    request: Request, values: dict[str, str], problems: list[FieldError]
) -> HTMLResponse:
    kept = {"email": values.get("email", "")}
    return render(
        request,
        "sign_in.html",
        {"values": kept, "signed_out": False},
        errors=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


@router.post(f"{PREFIX}/sign-out")
async def sign_out(request: Request, form: CheckedForm) -> Response:
    """End the session at once, then show the sign-in page."""
    try:
        signed = await signed_in(request, None)
    except HTTPException:
        signed = None
    if signed is not None and signed.token_hash is not None:
        async with UnitOfWork(session_factory_of(request)) as uow:
            await signin.sign_out(uow.session, signed.token_hash, utcnow())
            await uow.commit()
    response = see_other(f"{SIGN_IN_PATH}?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _signed_in_for_password(request: Request) -> StaffActor:
    try:
        signed = await signed_in(request, None)
    except HTTPException as error:
        raise PageRedirect(SIGN_IN_PATH) from error
    return signed.actor


@router.get(PASSWORD_PATH, response_class=HTMLResponse)
async def password_page(request: Request) -> HTMLResponse:
    actor = await _signed_in_for_password(request)
    return render(request, "password.html", {}, actor=actor)


@router.post(PASSWORD_PATH, response_class=HTMLResponse)
async def change_password(request: Request, form: CheckedForm) -> Response:
    """Replace one's own password (the one-time password first of all)."""
    actor = await _signed_in_for_password(request)
    values = form_values(form, ("current_password", "new_password"))
    problems: list[FieldError] = []
    try:
        body = PasswordChange.model_validate(
            {name: values.get(name, "") for name in ("current_password", "new_password")}
        )
    except ValidationError as error:
        problems = field_errors(error, "password")
    else:
        if actor.is_development:
            problems = [
                FieldError("password-current-password", "The development token has no password.")
            ]
        else:
            try:
                async with UnitOfWork(session_factory_of(request)) as uow:
                    await signin.change_password(
                        uow.session,
                        actor.staff_id,
                        body.current_password,
                        body.new_password,
                        utcnow(),
                    )
                    await uow.commit()
            except errors.StaffRuleError as error:
                problems = [FieldError(f"password-{error.field.replace('_', '-')}", error.message)]
    if problems:
        return render(
            request,
            "password.html",
            {},
            actor=actor,
            errors=problems,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other("/staff/cases?notice=password")
