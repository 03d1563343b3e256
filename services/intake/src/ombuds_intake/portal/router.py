"""The public portal: server-rendered pages that work without JavaScript, in English and Spanish.

The pages build the same body the JSON API takes and validate it with the same path models, so
the portal can never accept what the API would refuse.
"""

import dataclasses
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.datastructures import FormData

from ombuds_intake import repository, service
from ombuds_intake.acceptance import accept
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.forms.paths import validate_submission
from ombuds_intake.portal import fields
from ombuds_intake.portal.account_session import current_account
from ombuds_intake.portal.i18n import (
    CATEGORY_DESCRIPTIONS,
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    PRIVACY_ACT_STATEMENT,
    Language,
    Translator,
)
from ombuds_intake.portal.uploads import chosen_files, store_files
from ombuds_intake.self_service import service as self_service
from ombuds_shared.control_numbers import InvalidControlNumber, parse_control_number
from ombuds_shared.forms import (
    EXPIRED,
    NO_COOKIE,
    TOO_FAST,
    BotCheckError,
    CsrfError,
    FormTokens,
    form_protection,
    issue_form,
    set_form_cookie,
)
from ombuds_shared.http import session_factory_of

PORTAL_DIR = Path(__file__).parent
STATIC_DIR = PORTAL_DIR / "static"
LANG_COOKIE = "ombuds_lang"
FILES_FIELD = "files"
FILES_ID = fields.field_id("path", FILES_FIELD)
SUBMIT_FORM_PATH = "/submit/form"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(PORTAL_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

router = APIRouter(include_in_schema=False)


def language(request: Request) -> Language:
    """The `lang` query parameter, else the language cookie, else English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        for lang in LANGUAGES:
            if candidate == lang:
                return lang
    return DEFAULT_LANGUAGE


def _switch_url(path: str, params: dict[str, str], lang: Language) -> str:
    other = "es" if lang == "en" else "en"
    return f"{path}?{urlencode({**params, 'lang': other})}"


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    switch: tuple[str, dict[str, str]] | None = None,
    tokens: FormTokens | None = None,
) -> HTMLResponse:
    lang = language(request)
    t = Translator(lang)
    path, params = switch or (request.url.path, {})
    other: Language = "es" if lang == "en" else "en"
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "switch_url": _switch_url(path, params, lang),
            "switch_lang": other,
            "switch_name": LANGUAGE_NAMES[other],
            "errors": [],
            "hidden_fields": Markup(tokens.hidden_fields_html()) if tokens else Markup(""),
            **context,
        },
        status_code=status_code,
    )
    if tokens is not None:
        set_form_cookie(request, response, tokens)
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="lax"
        )
    return response


async def _verified(request: Request) -> FormData | HTMLResponse:
    """The posted form once CSRF and the bot check pass; otherwise a page saying why."""
    try:
        return await form_protection(request).verify(request)
    except (CsrfError, BotCheckError) as error:
        key = {
            NO_COOKIE: "err_no_cookie",
            EXPIRED: "err_expired",
            TOO_FAST: "err_too_fast",
        }.get(
            error.message,
            "err_not_verified" if isinstance(error, CsrfError) else "err_not_accepted",
        )
        return _render(
            request,
            "forbidden.html",
            {"message": Translator(language(request))(key)},
            status_code=status.HTTP_403_FORBIDDEN,
        )


# Landing page -------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    lang = language(request)
    return _render(request, "home.html", {"statement": PRIVACY_ACT_STATEMENT[lang]})


# Step 1: kind, category, anonymous, Privacy Act acknowledgement ----------------------------


def _start_page(
    request: Request,
    chosen: dict[str, str],
    errors: list[fields.FieldError],
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    t = Translator(lang)
    definition = load_definition()
    return _render(
        request,
        "start.html",
        {
            "statement": PRIVACY_ACT_STATEMENT[lang],
            "kinds": [(key, t.text(label)) for key, label in definition.kinds.items()],
            "categories": [
                (key, t.text(path.label), CATEGORY_DESCRIPTIONS[key][lang])
                for key, path in definition.categories.items()
            ],
            "chosen": chosen,
            "errors": errors,
            "error_for": {e.field_id.split("-")[0]: e.message for e in errors},
        },
        status_code=status_code,
        switch=("/submit", {}),
    )


@router.get("/submit", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    return _start_page(request, {}, [])


def _path_errors(
    kind: str, category: str, acknowledged: bool, t: Translator
) -> list[fields.FieldError]:
    definition = load_definition()
    errors = []
    if kind not in definition.kinds:
        errors.append(fields.FieldError(f"kind-{next(iter(definition.kinds))}", t("err_kind")))
    if category not in definition.categories:
        first = next(iter(definition.categories))
        errors.append(fields.FieldError(f"category-{first}", t("err_category")))
    if not acknowledged:
        errors.append(fields.FieldError(fields.PRIVACY_ACK, t("err_privacy_ack")))
    return errors


def _path_params(kind: str, category: str, anonymous: bool) -> dict[str, str]:
    params = {"kind": kind, "category": category, fields.PRIVACY_ACK: "1"}
    if anonymous:
        params["anonymous"] = "1"
    return params


def _form_page(
    request: Request,
    kind: str,
    category: str,
    anonymous: bool,
    values: dict[str, str] | None = None,
    errors: list[fields.FieldError] | None = None,
    certified: bool = False,
) -> HTMLResponse:
    lang = language(request)
    t = Translator(lang)
    definition = load_definition()
    topic, sections = fields.form_views(definition, category, anonymous, t, values, errors)
    certify_error = next(
        (e.message for e in errors or [] if e.field_id == fields.field_id("path", fields.CERTIFY)),
        None,
    )
    params = _path_params(kind, category, anonymous)
    return _render(
        request,
        "form.html",
        {
            "kind": kind,
            "category": category,
            "anonymous": anonymous,
            "kind_label": t.text(definition.kinds[kind]),
            "category_label": t.text(definition.categories[category].label),
            "topic": topic,
            "sections": sections,
            "files_id": FILES_ID,
            "files_error": next((e.message for e in errors or [] if e.field_id == FILES_ID), None),
            "max_files": request.app.state.attachment_limits.max_count,
            "certify_id": fields.field_id("path", fields.CERTIFY),
            "certify_error": certify_error,
            "certified": certified,
            "errors": errors or [],
            "today": fields.today_iso(),
            "action": f"/submit/form?lang={lang}",
            "change_url": f"/submit?lang={lang}",
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if errors else 200,
        switch=("/submit/form", params),
        tokens=issue_form(request),
    )


@router.get("/submit/form", response_class=HTMLResponse)
async def submission_form(
    request: Request,
    kind: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    anonymous: Annotated[str, Query(max_length=10)] = "",
    privacy_act_acknowledged: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    t = Translator(language(request))
    acknowledged = fields.checked(privacy_act_acknowledged)
    errors = _path_errors(kind, category, acknowledged, t)
    if errors:
        # The Privacy Act notice comes before any field: no acknowledgement, no form.
        chosen = {"kind": kind, "category": category, "anonymous": anonymous}
        return _start_page(request, chosen, errors, status.HTTP_422_UNPROCESSABLE_CONTENT)
    return _form_page(request, kind, category, fields.checked(anonymous))


@router.post("/submit/form", response_class=HTMLResponse)
async def send_submission(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    lang = language(request)
    t = Translator(lang)
    definition = load_definition()
    kind, category = str(form.get("kind", "")), str(form.get("category", ""))
    anonymous = fields.checked(form.get("anonymous"))
    errors = _path_errors(kind, category, fields.checked(form.get(fields.PRIVACY_ACK)), t)
    if errors:
        chosen = {"kind": kind, "category": category, "anonymous": "1" if anonymous else ""}
        return _start_page(request, chosen, errors, status.HTTP_422_UNPROCESSABLE_CONTENT)
    body, values = fields.build_body(definition, form, kind, category, anonymous, lang)
    try:
        validated = validate_submission(body)
    except RequestValidationError as error:
        field_errors = fields.translate_errors(
            definition, category, anonymous, list(error.errors()), t
        )
        return _form_page(
            request,
            kind,
            category,
            anonymous,
            values,
            field_errors,
            certified=fields.checked(form.get(fields.CERTIFY)),
        )
    uploads = chosen_files(form, FILES_FIELD)
    if uploads:
        # Stored only once the answers pass, then claimed by the submission as it is accepted.
        stored = await store_files(request, uploads, FILES_ID, t)
        if isinstance(stored, fields.FieldError):
            return _form_page(
                request,
                kind,
                category,
                anonymous,
                values,
                [stored],
                certified=fields.checked(form.get(fields.CERTIFY)),
            )
        validated = dataclasses.replace(validated, attachments=stored)
    client_ip = request.client.host if request.client else None
    account = await current_account(request)
    submission, _created = await accept(
        request, validated, None, client_ip, account.id if account else None
    )
    return RedirectResponse(
        f"/submit/confirmation/{submission.control_number}?lang={lang}",
        status_code=status.HTTP_303_SEE_OTHER,
    )


@router.get("/submit/confirmation/{control_number}", response_class=HTMLResponse)
async def confirmation(request: Request, control_number: str) -> HTMLResponse:
    try:
        canonical = parse_control_number(control_number[:40])
    except InvalidControlNumber:
        return _not_found(request)
    async with session_factory_of(request)() as session:
        submission = await repository.by_control_number(session, canonical)
    if submission is None:
        return _not_found(request)
    return _render(
        request,
        "confirmation.html",
        {"control_number": submission.control_number, "anonymous": submission.anonymous},
    )


def _not_found(request: Request) -> HTMLResponse:
    return _render(request, "not_found.html", {}, status_code=status.HTTP_404_NOT_FOUND)


# Status lookup ------------------------------------------------------------------------------

STATUS_NUMBER_ID = "f-status-control_number"
STATUS_EMAIL_ID = "f-status-email"


def _status_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: list[fields.FieldError] | None = None,
    result: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    return _render(
        request,
        "status.html",
        {
            "values": values or {"control_number": "", "email": ""},
            "errors": errors or [],
            "error_for": {e.field_id: e.message for e in errors or []},
            "result": result,
            "number_id": STATUS_NUMBER_ID,
            "email_id": STATUS_EMAIL_ID,
            "action": f"/status?lang={lang}",
        },
        status_code=status_code,
        switch=("/status", {}),
        tokens=issue_form(request),
    )


@router.get("/status", response_class=HTMLResponse)
async def status_form(request: Request) -> HTMLResponse:
    return _status_page(request)


@router.post("/status", response_class=HTMLResponse)
async def status_lookup(request: Request) -> HTMLResponse:
    form = await _verified(request)
    if isinstance(form, HTMLResponse):
        return form
    lang = language(request)
    t = Translator(lang)
    number = str(form.get("control_number", "")).strip()[:40]
    email = str(form.get("email", "")).strip()[:320]
    values = {"control_number": number, "email": email}
    errors: list[fields.FieldError] = []
    canonical = ""
    if not number:
        errors.append(fields.FieldError(STATUS_NUMBER_ID, t("status_err_number")))
    else:
        try:
            canonical = parse_control_number(number)
        except InvalidControlNumber as error:
            key = "status_err_check" if "check character" in str(error) else "status_err_shape"
            errors.append(fields.FieldError(STATUS_NUMBER_ID, t(key)))
    if not email:
        errors.append(fields.FieldError(STATUS_EMAIL_ID, t("status_err_email")))
    if errors:
        return _status_page(request, values, errors, status_code=422)
    try:
        async with session_factory_of(request)() as session:
            submission = await service.submission_status(session, canonical, email)
            added = await self_service.history(session, submission.control_number)
    except service.SubmissionNotFoundError:
        # One answer for an unknown number and a wrong email, so neither is revealed.
        errors = [fields.FieldError(STATUS_NUMBER_ID, t("status_no_match"))]
        return _status_page(request, values, errors, status_code=404)
    definition = load_definition(submission.form_version)
    status_key = f"status_{submission.status}"
    result = {
        "control_number": submission.control_number,
        "kind": t.text(definition.kinds[submission.kind]),
        "category": t.text(definition.categories[submission.category].label),
        "status": t(status_key) if status_key in _STATUS_KEYS else submission.status,
        "received_at": submission.received_at.date().isoformat(),
        "updated_at": submission.status_updated_at.date().isoformat(),
        # Counts only: this lookup needs no code, so it never shows what was added or changed.
        "supplements": str(len(added.supplements)),
        "amendments": str(len(added.amendments)),
    }
    return _status_page(request, {"control_number": "", "email": ""}, result=result)


_STATUS_KEYS = frozenset({"status_received", "status_triage", "status_withdrawn", "status_closed"})
