"""The account pages: register, verify the email, sign in and out, my cases, attach a case.

Every page works without JavaScript; every post carries the CSRF token and the bot check of
the other portal forms. The session is a signed cookie (see `account_session`).
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from ombuds_intake.accounts import cases as account_cases
from ombuds_intake.accounts import service as accounts
from ombuds_intake.accounts.models import Account
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.portal.account_session import (
    account_policy,
    current_account,
    end_session,
    start_session,
)
from ombuds_intake.portal.fields import FieldError
from ombuds_intake.portal.i18n import STRINGS, Translator
from ombuds_intake.portal.router import _render, _verified, language
from ombuds_intake.verification.service import Redemption
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.forms import issue_form
from ombuds_shared.http import session_factory_of

router = APIRouter(include_in_schema=False)

NAME_ID = "f-account-name"
EMAIL_ID = "f-account-email"
PASSWORD_ID = "f-account-password"
CODE_ID = "f-account-code"
NUMBER_ID = "f-account-control_number"
_FIELD_IDS = {"name": NAME_ID, "email": EMAIL_ID, "password": PASSWORD_ID}
_CODE_ERRORS = {
    Redemption.WRONG: "acct_err_code_wrong",
    Redemption.LOCKED: "acct_err_code_locked",
    Redemption.UNAVAILABLE: "acct_err_code_unavailable",
}
_ATTACH_ERRORS = {
    account_cases.AttachOutcome.WRONG: "acct_err_code_wrong",
    account_cases.AttachOutcome.LOCKED: "acct_err_code_locked",
    account_cases.AttachOutcome.UNAVAILABLE: "acct_err_code_unavailable",
    account_cases.AttachOutcome.TAKEN: "acct_err_taken",
}


def _t(request: Request) -> Translator:
    return Translator(language(request))


def _redirect(request: Request, path: str, **params: str) -> RedirectResponse:
    query = urlencode({**params, "lang": language(request)})
    return RedirectResponse(f"{path}?{query}", status_code=status.HTTP_303_SEE_OTHER)


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: list[FieldError] | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    errors = errors or []
    return _render(
        request,
        template,
        {
            "errors": errors,
            "error_for": {e.field_id: e.message for e in errors},
            "action": f"{request.url.path}?lang={language(request)}",
            **context,
        },
        status_code=status_code or (422 if errors else 200),
        switch=(request.url.path, {}),
        tokens=issue_form(request),
    )


async def _signed_in(request: Request, *, verified: bool = True) -> Account | RedirectResponse:
    """The signed-in account, or where to send someone who is not (yet) allowed here."""
    account = await current_account(request)
    if account is None:
        return _redirect(request, "/account/sign-in")
    if verified and account.email_verified_at is None:
        # The email must be proven before any case is shown (PIA: disclose only to the person).
        return _redirect(request, "/account/verify")
    return account


# Register -----------------------------------------------------------------------------------


def _register_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    return _form_page(
        request,
        "account_register.html",
        {
            "values": values or {"name": "", "email": ""},
            "ids": {"name": NAME_ID, "email": EMAIL_ID, "password": PASSWORD_ID},
        },
        errors,
        status_code,
    )


@router.get("/account/register", response_class=HTMLResponse)
async def register_form(request: Request) -> HTMLResponse:
    return _register_page(request)


@router.post("/account/register", response_class=HTMLResponse)
async def register(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = _t(request)
    name = str(form.get("name", ""))[:1000]
    email = str(form.get("email", ""))[:1000]
    password = str(form.get("password", ""))[:1000]
    values = {"name": name.strip(), "email": email.strip()}
    policy = account_policy(request)
    try:
        account = await accounts.register(
            session_factory_of(request),
            policy,
            name=name,
            email=email,
            password=password,
            language=language(request),
        )
    except accounts.AccountFormError as error:
        field_errors = [
            FieldError(_FIELD_IDS[p.field], t(f"acct_err_{p.field}_{p.rule}"))
            for p in error.problems
        ]
        return _register_page(request, values, field_errors)
    request.app.state.relay.notify()
    response = _redirect(request, "/account/verify")
    start_session(response, policy, account)
    return response


# Verify the email ---------------------------------------------------------------------------


def _verify_page(
    request: Request,
    account: Account,
    errors: list[FieldError] | None = None,
    resent: bool = False,
) -> HTMLResponse:
    lang = language(request)
    resend_tokens = issue_form(request)
    return _form_page(
        request,
        "account_verify.html",
        {
            "email": account.email,
            "ids": {"code": CODE_ID},
            "resent": resent,
            "action": f"/account/verify?lang={lang}",
            "resend_action": f"/account/verify/resend?lang={lang}",
            "resend_fields": Markup(resend_tokens.hidden_fields_html()),
        },
        errors,
    )


@router.get("/account/verify", response_class=HTMLResponse)
async def verify_form(request: Request, sent: Annotated[str, Query(max_length=4)] = "") -> Response:
    account = await _signed_in(request, verified=False)
    if isinstance(account, RedirectResponse):
        return account
    if account.email_verified_at is not None:
        return _redirect(request, "/account")
    return _verify_page(request, account, resent=sent == "1")


@router.post("/account/verify", response_class=HTMLResponse)
async def verify(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    account = await _signed_in(request, verified=False)
    if isinstance(account, RedirectResponse):
        return account
    t = _t(request)
    code = str(form.get("code", "")).strip()[:12]
    if not code:
        return _verify_page(request, account, [FieldError(CODE_ID, t("acct_err_code_missing"))])
    redemption = await accounts.verify_email_code(
        session_factory_of(request), account_policy(request), account.id, code
    )
    if redemption is not Redemption.ACCEPTED:
        return _verify_page(request, account, [FieldError(CODE_ID, t(_CODE_ERRORS[redemption]))])
    return _redirect(request, "/account", done="verified")


@router.post("/account/verify/resend", response_class=HTMLResponse)
async def resend(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    account = await _signed_in(request, verified=False)
    if isinstance(account, RedirectResponse):
        return account
    await accounts.resend_verification(
        session_factory_of(request), account_policy(request), account.id
    )
    request.app.state.relay.notify()
    return _redirect(request, "/account/verify", sent="1")


def _message_page(
    request: Request, title: str, message: str, next_url: str, next_label: str, code: int = 200
) -> HTMLResponse:
    return _render(
        request,
        "account_message.html",
        {"title": title, "message": message, "next_url": next_url, "next_label": next_label},
        status_code=code,
    )


@router.get("/account/verify/{verification_id}", response_class=HTMLResponse)
async def follow_link(
    request: Request,
    verification_id: str,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    t = _t(request)
    lang = language(request)
    signed_in = await current_account(request)
    outcome = await accounts.redeem_account_link(
        session_factory_of(request),
        account_policy(request),
        verification_id[:64],
        token,
        signed_in.id if signed_in else None,
    )
    cases_url = f"/account?lang={lang}"
    if outcome is accounts.LinkOutcome.EMAIL_VERIFIED:
        return _message_page(
            request, t("acct_link_title"), t("acct_verified"), cases_url, t("acct_go_cases")
        )
    if outcome is accounts.LinkOutcome.CASE_ATTACHED:
        return _redirect(request, "/account", done="attached")
    if outcome is accounts.LinkOutcome.CASE_TAKEN:
        return _message_page(
            request, t("acct_link_title"), t("acct_err_taken"), cases_url, t("acct_go_cases"), 409
        )
    if outcome is accounts.LinkOutcome.SIGN_IN_NEEDED:
        return _message_page(
            request,
            t("acct_link_title"),
            t("acct_link_sign_in"),
            f"/account/sign-in?lang={lang}",
            t("nav_sign_in"),
            403,
        )
    return _message_page(
        request,
        t("acct_link_title"),
        t("acct_link_unavailable"),
        cases_url,
        t("acct_go_cases"),
        410,
    )


# Sign in and out ----------------------------------------------------------------------------


def _sign_in_page(
    request: Request,
    email: str = "",
    errors: list[FieldError] | None = None,
    status_code: int | None = None,
    signed_out: bool = False,
) -> HTMLResponse:
    return _form_page(
        request,
        "account_sign_in.html",
        {
            "values": {"email": email},
            "ids": {"email": EMAIL_ID, "password": PASSWORD_ID},
            "signed_out": signed_out,
        },
        errors,
        status_code,
    )


@router.get("/account/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, done: Annotated[str, Query(max_length=20)] = ""
) -> HTMLResponse:
    return _sign_in_page(request, signed_out=done == "signed-out")


@router.post("/account/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = _t(request)
    email = str(form.get("email", "")).strip()[:320]
    password = str(form.get("password", ""))[: accounts.PASSWORD_MAX + 1]
    errors = []
    if not email:
        errors.append(FieldError(EMAIL_ID, t("acct_err_email_missing")))
    if not password:
        errors.append(FieldError(PASSWORD_ID, t("acct_err_password_missing")))
    if errors:
        return _sign_in_page(request, email, errors)
    policy = account_policy(request)
    client = policy.client_of(request.scope)
    try:
        account = await accounts.sign_in(
            session_factory_of(request), policy, email=email, password=password, client=client
        )
    except accounts.WrongCredentialsError:
        wrong = [FieldError(EMAIL_ID, t("acct_err_wrong_credentials"))]
        return _sign_in_page(request, email, wrong, status.HTTP_401_UNAUTHORIZED)
    except accounts.LockedOutError:
        minutes = max(1, int(policy.lockout.total_seconds()) // 60)
        locked = [FieldError(EMAIL_ID, t("acct_err_locked", minutes=minutes))]
        return _sign_in_page(request, email, locked, status.HTTP_429_TOO_MANY_REQUESTS)
    response = _redirect(
        request, "/account" if account.email_verified_at is not None else "/account/verify"
    )
    start_session(response, policy, account)
    return response


@router.get("/account/sign-out", response_class=HTMLResponse)
async def sign_out_form(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return _redirect(request, "/account/sign-in")
    return _form_page(request, "account_sign_out.html", {})


@router.post("/account/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    account = await current_account(request)
    if account is not None:
        await accounts.sign_out(session_factory_of(request), account.id)
    response = _redirect(request, "/account/sign-in", done="signed-out")
    end_session(response, account_policy(request))
    return response


# My cases -----------------------------------------------------------------------------------

_FLASH = {"verified": "acct_verified", "attached": "acct_attached"}


def _status_label(t: Translator, raw: str) -> str:
    for key in (f"status_{raw}", f"acct_status_{raw}"):
        if key in STRINGS:
            return t(key)
    return raw


@router.get("/account", response_class=HTMLResponse)
async def my_cases(
    request: Request,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    account = await _signed_in(request)
    if isinstance(account, RedirectResponse):
        return account
    t = _t(request)
    async with session_factory_of(request)() as session:
        listing = await account_cases.own_cases(session, account.id, page)
    cases = []
    for submission in listing.items:
        definition = load_definition(submission.form_version)
        cases.append(
            {
                "control_number": submission.control_number,
                "kind": t.text(definition.kinds[submission.kind]),
                "category": t.text(definition.categories[submission.category].label),
                "status": _status_label(t, submission.status),
                "updated_at": submission.status_updated_at.date().isoformat(),
                "resolution": submission.resolution,
            }
        )
    flash_key = _FLASH.get(done, "")
    return _render(
        request,
        "account_cases.html",
        {
            "email": account.email,
            "cases": cases,
            "page": listing.page,
            "pages": listing.pages,
            "flash": t(flash_key) if flash_key else "",
        },
        switch=("/account", {"page": str(listing.page)}),
    )


# Attach a phone or mail case ----------------------------------------------------------------


def _attach_page(
    request: Request,
    number: str = "",
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    return _form_page(
        request,
        "account_attach.html",
        {"values": {"control_number": number}, "ids": {"number": NUMBER_ID}},
        errors,
    )


@router.get("/account/attach", response_class=HTMLResponse)
async def attach_form(request: Request) -> Response:
    account = await _signed_in(request)
    if isinstance(account, RedirectResponse):
        return account
    return _attach_page(request)


def _number_error(t: Translator, number: str) -> tuple[str, FieldError | None]:
    """The canonical control number, or the field error saying what is wrong with it."""
    if not number:
        return "", FieldError(NUMBER_ID, t("status_err_number"))
    try:
        return parse_control_number(number), None
    except InvalidControlNumber as error:
        key = "status_err_check" if "check character" in str(error) else "status_err_shape"
        return "", FieldError(NUMBER_ID, t(key))


@router.post("/account/attach", response_class=HTMLResponse)
async def attach(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    account = await _signed_in(request)
    if isinstance(account, RedirectResponse):
        return account
    number = str(form.get("control_number", "")).strip()[:40]
    canonical, error = _number_error(_t(request), number)
    if error is not None:
        return _attach_page(request, number, [error])
    await account_cases.request_attach(
        session_factory_of(request), account_policy(request), account, canonical
    )
    request.app.state.relay.notify()
    # The same answer whether or not the number exists or has an email on file.
    return _redirect(request, "/account/attach/code", number=canonical)


def _code_page(
    request: Request, number: str, errors: list[FieldError] | None = None, code: int | None = None
) -> HTMLResponse:
    return _form_page(
        request,
        "account_attach_code.html",
        {"number": number, "ids": {"code": CODE_ID}},
        errors,
        code,
    )


@router.get("/account/attach/code", response_class=HTMLResponse)
async def attach_code_form(
    request: Request, number: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    account = await _signed_in(request)
    if isinstance(account, RedirectResponse):
        return account
    canonical, error = _number_error(_t(request), number)
    if error is not None:
        return _attach_page(request, number, [error])
    return _code_page(request, canonical)


@router.post("/account/attach/code", response_class=HTMLResponse)
async def attach_with_code(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    account = await _signed_in(request)
    if isinstance(account, RedirectResponse):
        return account
    t = _t(request)
    number = str(form.get("control_number", "")).strip()[:40]
    canonical, error = _number_error(t, number)
    if error is not None:
        return _attach_page(request, number, [error])
    code = str(form.get("code", "")).strip()[:12]
    if not code:
        return _code_page(request, canonical, [FieldError(CODE_ID, t("acct_err_code_missing"))])
    outcome = await account_cases.attach_with_code(
        session_factory_of(request), account_policy(request), account.id, canonical, code
    )
    if outcome is account_cases.AttachOutcome.ATTACHED:
        return _redirect(request, "/account", done="attached")
    status_code = 409 if outcome is account_cases.AttachOutcome.TAKEN else 422
    return _code_page(
        request, canonical, [FieldError(CODE_ID, t(_ATTACH_ERRORS[outcome]))], status_code
    )
