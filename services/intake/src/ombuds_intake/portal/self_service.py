"""Self-service pages: ask for a code, enter it (or open the emailed link), then supplement,
correct or withdraw a submission. Server-rendered; every form works without JavaScript.

Control is proven by a signed, HttpOnly cookie holding the same one-hour token the API
gives (bound to one control number); every post also carries the CSRF token and bot check.
"""

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ombuds_intake.forms.definition import load_definition
from ombuds_intake.portal import fields
from ombuds_intake.portal.i18n import Translator
from ombuds_intake.portal.router import _render, _verified, language
from ombuds_intake.portal.uploads import chosen_files, store_files
from ombuds_intake.self_service import service
from ombuds_intake.self_service.schemas import MAX_SUPPLEMENT_LENGTH
from ombuds_intake.self_service.tokens import TOKEN_MAX_AGE_SECONDS, issue_token, token_controls
from ombuds_intake.verification.service import Redemption
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.forms import (
    CSRF_FIELD,
    EXPIRED,
    NO_COOKIE,
    CsrfError,
    form_protection,
    issue_form,
)
from ombuds_shared.http import session_factory_of

router = APIRouter(include_in_schema=False)

COOKIE = "ombuds_self_service"
COOKIE_PATH = "/manage"
MAX_REASON_LENGTH = 1000
NUMBER_ID = "f-manage-control_number"
EMAIL_ID = "f-manage-email"
CODE_ID = "f-manage-code"
TEXT_ID = "f-supplement-text"
FILE_ID = "f-supplement-file"
FIELD_ID = "f-correct-field"
VALUE_ID = "f-correct-value"
REASON_ID = "f-reason"
CONFIRM_ID = "f-withdraw-confirm"
DONE = ("supplement", "reply", "correct", "withdraw")
# Where the person was going when a request's reply link sent them to prove control first.
REPLY_COOKIE = "ombuds_reply"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.verification_secret.get_secret_value()
    return secret


def _canonical(text: str) -> str | None:
    try:
        return parse_control_number(text[:40])
    except InvalidControlNumber:
        return None


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _start_url(lang: str, control_number: str = "") -> str:
    params = {"lang": lang, **({"control_number": control_number} if control_number else {})}
    return f"/manage?{urlencode(params)}"


def _signed_in(request: Request, control_number: str) -> RedirectResponse:
    """Send the browser to the submission's page holding its self-service cookie (or to the
    reply page the person came from, when they came from a request's link)."""
    page = f"/manage/{control_number}"
    pending_number, _, pending_request = request.cookies.get(REPLY_COOKIE, "").partition(":")
    if pending_number == control_number and _request_id(pending_request):
        page = _reply_path(control_number, pending_request)
    response = _redirect(f"{page}?lang={language(request)}")
    response.delete_cookie(REPLY_COOKIE, path=COOKIE_PATH)
    response.set_cookie(
        COOKIE,
        issue_token(_secret(request), control_number),
        max_age=TOKEN_MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        secure=form_protection(request).settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


def _controlled(request: Request, control_number: str) -> str | None:
    """The canonical number when the cookie proves control of it, else None."""
    canonical = _canonical(control_number)
    if canonical is None:
        return None
    if not token_controls(_secret(request), request.cookies.get(COOKIE), canonical):
        return None
    return canonical


def _error_for(errors: list[fields.FieldError]) -> dict[str, str]:
    return {error.field_id: error.message for error in errors}


# Step 1: control number and email -----------------------------------------------------------


def _start_page(
    request: Request,
    values: dict[str, str],
    errors: list[fields.FieldError] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    return _render(
        request,
        "manage.html",
        {
            "values": values,
            "errors": errors or [],
            "error_for": _error_for(errors or []),
            "number_id": NUMBER_ID,
            "email_id": EMAIL_ID,
            "action": f"/manage?lang={lang}",
        },
        status_code=status_code,
        switch=("/manage", {}),
        tokens=issue_form(request),
    )


@router.get("/manage", response_class=HTMLResponse)
async def manage_start(
    request: Request, control_number: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    return _start_page(request, {"control_number": control_number, "email": ""})


@router.post("/manage", response_class=HTMLResponse)
async def manage_request_code(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    lang = language(request)
    t = Translator(lang)
    number = str(form.get("control_number", "")).strip()[:40]
    email = str(form.get("email", "")).strip()[:320]
    errors: list[fields.FieldError] = []
    canonical = ""
    if not number:
        errors.append(fields.FieldError(NUMBER_ID, t("status_err_number")))
    else:
        try:
            canonical = parse_control_number(number)
        except InvalidControlNumber as error:
            key = "status_err_check" if "check character" in str(error) else "status_err_shape"
            errors.append(fields.FieldError(NUMBER_ID, t(key)))
    if not email:
        errors.append(fields.FieldError(EMAIL_ID, t("status_err_email")))
    if errors:
        values = {"control_number": number, "email": email}
        return _start_page(request, values, errors, status.HTTP_422_UNPROCESSABLE_CONTENT)
    settings = request.app.state.settings
    if await service.request_code(
        session_factory_of(request), canonical, email, _secret(request), settings.public_url
    ):
        request.app.state.relay.notify()
    # The same next page whether or not the email matched: nothing is revealed.
    return _redirect(f"/manage/code?{urlencode({'control_number': canonical, 'lang': lang})}")


# Step 2: the code, or the emailed link ------------------------------------------------------


def _code_page(
    request: Request,
    control_number: str,
    errors: list[fields.FieldError] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    return _render(
        request,
        "manage_code.html",
        {
            "control_number": control_number,
            "errors": errors or [],
            "error_for": _error_for(errors or []),
            "code_id": CODE_ID,
            "action": f"/manage/code?lang={lang}",
            "new_code_url": _start_url(lang, control_number),
        },
        status_code=status_code,
        switch=("/manage/code", {"control_number": control_number}),
        tokens=issue_form(request),
    )


@router.get("/manage/code", response_class=HTMLResponse)
async def manage_code(
    request: Request, control_number: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    canonical = _canonical(control_number)
    if canonical is None:
        return _redirect(_start_url(language(request)))
    return _code_page(request, canonical)


@router.post("/manage/code", response_class=HTMLResponse)
async def manage_confirm_code(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = Translator(language(request))
    canonical = _canonical(str(form.get("control_number", "")))
    if canonical is None:
        return _redirect(_start_url(language(request)))
    code = str(form.get("code", "")).strip()[:20]
    if not code:
        errors = [fields.FieldError(CODE_ID, t("code_err_missing"))]
        return _code_page(request, canonical, errors, status.HTTP_422_UNPROCESSABLE_CONTENT)
    check = await service.confirm_code(
        session_factory_of(request), canonical, code, _secret(request)
    )
    if check.redemption is Redemption.ACCEPTED:
        return _signed_in(request, canonical)
    message = {
        Redemption.WRONG: t("code_err_wrong", tries=check.tries_left),
        Redemption.LOCKED: t("code_err_locked"),
    }.get(check.redemption, t("code_err_expired"))
    errors = [fields.FieldError(CODE_ID, message)]
    return _code_page(request, canonical, errors, status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.get("/manage/verify/{verification_id}", response_class=HTMLResponse)
async def manage_link(
    request: Request,
    verification_id: str,
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    # Opening the link only shows a button: mail scanners that fetch every link must not
    # spend the one-time token before the person clicks.
    lang = language(request)
    return _render(
        request,
        "manage_link.html",
        {"token": token, "action": f"/manage/verify/{verification_id[:32]}?lang={lang}"},
        switch=(f"/manage/verify/{verification_id[:32]}", {"token": token}),
        tokens=issue_form(request),
    )


@router.post("/manage/verify/{verification_id}", response_class=HTMLResponse)
async def manage_link_confirm(request: Request, verification_id: str) -> Response:
    form = await request.form()
    csrf = form.get(CSRF_FIELD)
    try:
        # CSRF only: the one-time token is the proof, and the bot check's minimum fill time
        # would refuse a quick click on a one-button page.
        protection = form_protection(request)
        protection.check_csrf(
            request.cookies.get(protection.cookie_name), csrf if isinstance(csrf, str) else None
        )
    except CsrfError as error:
        key = {NO_COOKIE: "err_no_cookie", EXPIRED: "err_expired"}.get(
            error.message, "err_not_verified"
        )
        message = Translator(language(request))(key)
        return _render(
            request, "forbidden.html", {"message": message}, status_code=status.HTTP_403_FORBIDDEN
        )
    token = str(form.get("token", ""))[:200]
    control_number = await service.confirm_link(
        session_factory_of(request), verification_id[:32], token, _secret(request)
    )
    if control_number is None:
        return _render(
            request,
            "manage_link_failed.html",
            {"new_code_url": _start_url(language(request))},
            status_code=status.HTTP_410_GONE,
        )
    return _signed_in(request, control_number)


# The submission and its actions -------------------------------------------------------------


def _field_labels(submission: Any, t: Translator) -> dict[str, str]:
    """`section.field` -> "Section: Field" for every field of the submission's path."""
    definition = load_definition(submission.form_version)
    return {
        path: f"{t.text(definition.sections[path.split('.')[0]].label)}: {t.text(spec.label)}"
        for path, spec in service.correctable_fields(submission).items()
    }


def _shown(value: Any, t: Translator) -> str:
    return t("case_empty_value") if value in (None, "") else str(value)


@router.get("/manage/{control_number}", response_class=HTMLResponse)
async def manage_case(
    request: Request,
    control_number: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    lang = language(request)
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(lang, _canonical(control_number) or ""))
    t = Translator(lang)
    async with session_factory_of(request)() as session:
        history = await service.history(session, canonical)
    submission = history.submission
    definition = load_definition(submission.form_version)
    labels = _field_labels(submission, t)
    status_key = f"status_{submission.status}"
    finished = history.withdrawal is not None or submission.status in service.FINISHED_STATUSES
    return _render(
        request,
        "manage_case.html",
        {
            "control_number": canonical,
            "kind": t.text(definition.kinds[submission.kind]),
            "category": t.text(definition.categories[submission.category].label),
            "status": t(status_key) if status_key in _STATUS_KEYS else submission.status,
            "received_at": submission.received_at.date().isoformat(),
            "finished": finished,
            "done": t(f"done_{done}") if done in DONE else None,
            "supplements": [
                {
                    "date": row.supplemented_at.date().isoformat(),
                    "text": row.text or "",
                    "files": len(row.attachments),
                }
                for row in history.supplements
            ],
            "amendments": [
                t(
                    "case_amended",
                    field=labels.get(row.field, row.field),
                    old=_shown(row.previous_value, t),
                    new=_shown(row.new_value, t),
                    date=row.amended_at.date().isoformat(),
                )
                for row in history.amendments
            ],
            "base_url": f"/manage/{canonical}",
        },
        switch=(f"/manage/{canonical}", {}),
    )


_STATUS_KEYS = frozenset({"status_received", "status_triage", "status_withdrawn", "status_closed"})


def _action_page(
    request: Request,
    template: str,
    control_number: str,
    context: dict[str, Any],
    errors: list[fields.FieldError] | None = None,
    path: str | None = None,
) -> HTMLResponse:
    lang = language(request)
    action = template.removeprefix("manage_").removesuffix(".html")
    path = path or f"/manage/{control_number}/{action}"
    return _render(
        request,
        template,
        {
            "control_number": control_number,
            "errors": errors or [],
            "error_for": _error_for(errors or []),
            "action": f"{path}?lang={lang}",
            "back_url": f"/manage/{control_number}?lang={lang}",
            "reason_id": REASON_ID,
            **context,
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if errors else 200,
        switch=(path, {}),
        tokens=issue_form(request),
    )


def _done(request: Request, control_number: str, action: str) -> RedirectResponse:
    request.app.state.relay.notify()
    return _redirect(f"/manage/{control_number}?done={action}&lang={language(request)}")


def _finished(request: Request, control_number: str) -> RedirectResponse:
    # The submission page says why nothing more can be done.
    return _redirect(f"/manage/{control_number}?lang={language(request)}")


def _reason(form_value: object, t: Translator, errors: list[fields.FieldError]) -> str | None:
    reason = str(form_value or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        errors.append(fields.FieldError(REASON_ID, t("err_reason_long")))
    return reason or None


# Supplement


def _supplement_page(
    request: Request,
    control_number: str,
    text: str = "",
    errors: list[fields.FieldError] | None = None,
    reply_to: str | None = None,
) -> HTMLResponse:
    context = {"text": text, "text_id": TEXT_ID, "file_id": FILE_ID}
    context["max_length"] = str(MAX_SUPPLEMENT_LENGTH)
    if reply_to is None:
        return _action_page(request, "manage_supplement.html", control_number, context, errors)
    path = _reply_path(control_number, reply_to)
    return _action_page(request, "manage_reply.html", control_number, context, errors, path)


@router.get("/manage/{control_number}/supplement", response_class=HTMLResponse)
async def supplement_form(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    return _supplement_page(request, canonical)


@router.post("/manage/{control_number}/supplement", response_class=HTMLResponse)
async def supplement_send(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    return await _send_supplement(request, canonical, None)


async def _send_supplement(request: Request, canonical: str, reply_to: str | None) -> Response:
    """Store the text and file of a supplement (or of a reply to a request for information)."""
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = Translator(language(request))
    text = str(form.get("text", "")).strip()
    uploads = chosen_files(form, "file")
    errors: list[fields.FieldError] = []
    if len(text) > MAX_SUPPLEMENT_LENGTH:
        errors.append(
            fields.FieldError(
                TEXT_ID, t("err_too_long", label=t("supplement_text"), max=MAX_SUPPLEMENT_LENGTH)
            )
        )
    if not text and not uploads:
        errors.append(fields.FieldError(TEXT_ID, t("supplement_err_empty")))
    attachment_ids: list[str] = []
    if not errors and uploads:
        stored = await store_files(request, uploads[:1], FILE_ID, t)
        if isinstance(stored, fields.FieldError):
            errors.append(stored)
        else:
            attachment_ids = stored
    if errors:
        return _supplement_page(request, canonical, text, errors, reply_to)
    try:
        await service.supplement(
            session_factory_of(request),
            canonical,
            text or None,
            attachment_ids,
            request.app.state.attachment_limits,
            reply_to_request=reply_to,
        )
    except service.SubmissionFinishedError:
        return _finished(request, canonical)
    return _done(request, canonical, "reply" if reply_to else "supplement")


# Reply to a request for information ---------------------------------------------------------
#
# The emailed link names the case and the request; it proves nothing by itself (a forwarded
# email must not let anyone answer). Without the self-service cookie the page remembers where
# it was going in a short HttpOnly cookie and sends the person through the same one-time code
# as `/manage`; once the code is accepted they land back on the reply page.


def _reply_path(control_number: str, request_id: str) -> str:
    return f"/manage/{control_number}/reply/{request_id}"


def _request_id(text: str) -> str | None:
    return text if REQUEST_ID.fullmatch(text) else None


def _to_verification(request: Request, control_number: str, request_id: str) -> Response:
    canonical = _canonical(control_number)
    response = _redirect(_start_url(language(request), canonical or ""))
    if canonical is not None:
        response.set_cookie(
            REPLY_COOKIE,
            f"{canonical}:{request_id}",
            max_age=TOKEN_MAX_AGE_SECONDS,
            path=COOKIE_PATH,
            secure=form_protection(request).settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
    return response


@router.get("/manage/{control_number}/reply/{request_id}", response_class=HTMLResponse)
async def reply_form(request: Request, control_number: str, request_id: str) -> Response:
    reply_to = _request_id(request_id)
    if reply_to is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _to_verification(request, control_number, reply_to)
    return _supplement_page(request, canonical, reply_to=reply_to)


@router.post("/manage/{control_number}/reply/{request_id}", response_class=HTMLResponse)
async def reply_send(request: Request, control_number: str, request_id: str) -> Response:
    reply_to = _request_id(request_id)
    canonical = _controlled(request, control_number)
    if reply_to is None or canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    return await _send_supplement(request, canonical, reply_to)


# Correct


async def _correct_page(
    request: Request,
    control_number: str,
    values: dict[str, str] | None = None,
    errors: list[fields.FieldError] | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    async with session_factory_of(request)() as session:
        history = await service.history(session, control_number)
    context = {
        "choices": list(_field_labels(history.submission, t).items()),
        "values": values or {"field": "", "value": "", "reason": ""},
        "field_id": FIELD_ID,
        "value_id": VALUE_ID,
    }
    return _action_page(request, "manage_correct.html", control_number, context, errors)


@router.get("/manage/{control_number}/correct", response_class=HTMLResponse)
async def correct_form(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    return await _correct_page(request, canonical)


def _correction_errors(
    error: RequestValidationError, field_path: str, submission: Any, t: Translator
) -> list[fields.FieldError]:
    found: list[fields.FieldError] = []
    specs = service.correctable_fields(submission)
    definition = load_definition(submission.form_version)
    for item in error.errors():
        where = item["loc"][-1]
        rule = str(item["type"])
        if where == "field" or field_path not in specs:
            found.append(fields.FieldError(FIELD_ID, t("correct_err_field")))
        elif rule == "unchanged":
            found.append(fields.FieldError(VALUE_ID, t("correct_err_unchanged")))
        else:
            spec = specs[field_path]
            section, name = field_path.split(".", 1)
            label = t.text(definition.fields_on_path(submission.category, section)[name].label)
            message = fields.error_message(rule, spec, label, name, item.get("ctx") or {}, t)
            found.append(fields.FieldError(VALUE_ID, message))
    return found


@router.post("/manage/{control_number}/correct", response_class=HTMLResponse)
async def correct_send(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = Translator(language(request))
    field_path = str(form.get("field", "")).strip()[:200]
    value = str(form.get("value", "")).strip()
    values = {"field": field_path, "value": value, "reason": str(form.get("reason", ""))}
    errors: list[fields.FieldError] = []
    reason = _reason(form.get("reason"), t, errors)
    if not field_path:
        errors.insert(0, fields.FieldError(FIELD_ID, t("correct_err_field")))
    if errors:
        return await _correct_page(request, canonical, values, errors)
    try:
        await service.correct(
            session_factory_of(request), canonical, field_path, value or None, reason
        )
    except service.SubmissionFinishedError:
        return _finished(request, canonical)
    except RequestValidationError as error:
        async with session_factory_of(request)() as session:
            history = await service.history(session, canonical)
        errors = _correction_errors(error, field_path, history.submission, t)
        return await _correct_page(request, canonical, values, errors)
    return _done(request, canonical, "correct")


# Withdraw


def _withdraw_page(
    request: Request,
    control_number: str,
    reason: str = "",
    errors: list[fields.FieldError] | None = None,
) -> HTMLResponse:
    context = {"reason": reason, "confirm_id": CONFIRM_ID}
    return _action_page(request, "manage_withdraw.html", control_number, context, errors)


@router.get("/manage/{control_number}/withdraw", response_class=HTMLResponse)
async def withdraw_form(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    return _withdraw_page(request, canonical)


@router.post("/manage/{control_number}/withdraw", response_class=HTMLResponse)
async def withdraw_send(request: Request, control_number: str) -> Response:
    canonical = _controlled(request, control_number)
    if canonical is None:
        return _redirect(_start_url(language(request), _canonical(control_number) or ""))
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    t = Translator(language(request))
    errors: list[fields.FieldError] = []
    if not fields.checked(form.get("confirm")):
        errors.append(fields.FieldError(CONFIRM_ID, t("withdraw_err_confirm")))
    reason = _reason(form.get("reason"), t, errors)
    if errors:
        return _withdraw_page(request, canonical, str(form.get("reason", "")), errors)
    try:
        await service.withdraw(session_factory_of(request), canonical, reason)
    except service.SubmissionFinishedError:
        return _finished(request, canonical)
    return _done(request, canonical, "withdraw")
