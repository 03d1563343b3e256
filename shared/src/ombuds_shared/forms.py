"""Protection for server-rendered form posts: CSRF tokens and a bot check people never meet.

CSRF is a signed double submit. The browser holds a random cookie; each rendered form carries a
token that is an HMAC-SHA256 over that cookie and the time it was issued, so another site can
neither read nor forge one, and a token taken from one browser is useless in another.

The bot check asks nothing of a person (no CAPTCHA): a honeypot field that is off screen,
hidden from assistive technology and out of the tab order, labelled "Leave this field empty"
for anyone who meets it anyway; and a minimum time between the form being issued and posted.

An app calls `install_form_protection(app, settings)` once. A page gets its tokens with
`issue_form(request)`, renders `tokens.hidden_fields_html()` inside its `<form>` (and
`HONEYPOT_CSS` in its style sheet), then `set_form_cookie(request, response, tokens)` on the
response it returns; `issue_csrf(request, response)` does both when the response exists first.
The post handler takes a `VerifiedForm` parameter.
"""

import base64
import hashlib
import hmac
import html
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from fastapi import Depends, FastAPI, Request, Response
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import FormData

from ombuds_shared.http import ServiceError

Clock = Callable[[], float]

CSRF_COOKIE = "ombuds_csrf"
CSRF_FIELD = "csrf_token"
FORM_ISSUED_FIELD = "form_issued"
HONEYPOT_FIELD = "website"
HONEYPOT_CLASS = "ombuds-hp"
# Off screen rather than display:none, which some bots look for; aria-hidden on the wrapper
# keeps screen readers away from it.
HONEYPOT_CSS = (
    f".{HONEYPOT_CLASS}{{position:absolute!important;left:-10000px!important;top:auto;"
    "width:1px;height:1px;overflow:hidden;}"
)
DEVELOPMENT_SECRET = "ombuds-development-only-form-secret-do-not-deploy"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Tokens issued by another process whose clock runs a little ahead are still good.
CLOCK_SKEW_SECONDS = 300

_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_CSRF_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$")
_FORM_ISSUED = re.compile(r"^(\d{1,15})\.([A-Za-z0-9_-]{43})$")


class FormSettings(BaseSettings):
    """Read from `OMBUDS_FORMS_*`; outside development and test the secret must be set."""

    model_config = SettingsConfigDict(env_prefix="OMBUDS_FORMS_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="OMBUDS_ENV"
    )
    secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # WCAG 2.2.1 (Timing Adjustable) exempts only limits longer than 20 hours: someone who
    # needs a long time to fill the form in must not lose it to an expired token.
    max_age_seconds: int = Field(default=24 * 3600, ge=60)
    min_fill_seconds: float = Field(default=2.0, ge=0)
    cookie_secure: bool = True

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        secret = self.secret.get_secret_value()
        if self.environment == "production" and secret == DEVELOPMENT_SECRET:
            raise ValueError("OMBUDS_FORMS_SECRET must be set in production")
        if len(secret) < 32:
            raise ValueError("OMBUDS_FORMS_SECRET must be at least 32 characters")
        return self


class CsrfError(ServiceError):
    status_code = 403
    code = "csrf_failed"


class BotCheckError(ServiceError):
    status_code = 403
    code = "bot_check_failed"


_RELOAD = "Please reload the page and send the form again."
NO_COOKIE = (
    "This form could not be verified because your browser did not send its form cookie. "
    f"Please allow cookies for this site. {_RELOAD}"
)
NOT_VERIFIED = f"This form could not be verified. {_RELOAD}"
EXPIRED = f"This form has expired. {_RELOAD}"
NOT_ACCEPTED = f"This form could not be accepted. {_RELOAD}"
TOO_FAST = (
    "This form was sent too quickly after it was opened. Please wait a moment and send it again."
)


@dataclass(frozen=True)
class FormTokens:
    """What one rendered form carries, and the browser cookie its CSRF token is bound to."""

    csrf_token: str
    form_issued: str
    cookie: str

    def hidden_fields_html(self) -> str:
        """The CSRF token, the issue time and the honeypot, to put inside the `<form>`."""
        return (
            f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(self.csrf_token)}">'
            f'<input type="hidden" name="{FORM_ISSUED_FIELD}" '
            f'value="{html.escape(self.form_issued)}">' + honeypot_html()
        )


def honeypot_html(name: str = HONEYPOT_FIELD) -> str:
    """A field people never see or reach and bots fill in; labelled for anyone who meets it."""
    field_id = f"{HONEYPOT_CLASS}-{name}"
    return (
        f'<div class="{HONEYPOT_CLASS}" aria-hidden="true">'
        f'<label for="{field_id}">Leave this field empty</label>'
        f'<input type="text" id="{field_id}" name="{name}" value="" '
        'tabindex="-1" autocomplete="off">'
        "</div>"
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FormProtection:
    """Issues and checks CSRF tokens and form issue times with one secret and one clock."""

    def __init__(self, settings: FormSettings, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._key = settings.secret.get_secret_value().encode()

    @property
    def cookie_name(self) -> str:
        # `__Host-` cookies must be Secure, host-only and Path=/, so a sibling subdomain
        # cannot plant its own cookie, the classic hole in double-submit CSRF.
        return f"__Host-{CSRF_COOKIE}" if self.settings.cookie_secure else CSRF_COOKIE

    def _sign(self, purpose: str, *parts: str) -> str:
        message = "\n".join((purpose, *parts)).encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, request: Request) -> FormTokens:
        """Tokens for one rendered form, bound to the browser's cookie (a new one if it has none).

        The cookie is reused while it is valid, so forms open in two tabs both stay good.
        """
        cookie = request.cookies.get(self.cookie_name, "")
        if not _COOKIE_VALUE.match(cookie):
            cookie = _b64(secrets.token_bytes(32))
        now = self.clock()
        issued = str(int(now))
        nonce = _b64(secrets.token_bytes(12))
        csrf_token = f"{issued}.{nonce}.{self._sign('csrf-v1', cookie, issued, nonce)}"
        issued_ms = str(int(now * 1000))
        form_issued = f"{issued_ms}.{self._sign('form-issued-v1', issued_ms)}"
        return FormTokens(csrf_token=csrf_token, form_issued=form_issued, cookie=cookie)

    def set_cookie(self, response: Response, tokens: FormTokens) -> None:
        """Set (or refresh) the browser cookie the tokens are bound to."""
        response.set_cookie(
            self.cookie_name,
            tokens.cookie,
            max_age=self.settings.max_age_seconds,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )

    def issue_csrf(self, request: Request, response: Response) -> str:
        """A CSRF token for a form on `response`, setting the browser cookie it is bound to."""
        tokens = self.issue(request)
        self.set_cookie(response, tokens)
        return tokens.csrf_token

    def check_csrf(self, cookie: str | None, token: str | None) -> None:
        """Raise `CsrfError` unless `token` was issued by us, for this cookie, and is current."""
        if not cookie or not _COOKIE_VALUE.match(cookie):
            raise CsrfError(NO_COOKIE)
        parsed = _CSRF_TOKEN.match(token or "")
        if parsed is None:
            raise CsrfError(NOT_VERIFIED)
        issued, nonce, signature = parsed.groups()
        expected = self._sign("csrf-v1", cookie, issued, nonce)
        if not hmac.compare_digest(signature, expected):
            raise CsrfError(NOT_VERIFIED)
        age = self.clock() - int(issued)
        if age < -CLOCK_SKEW_SECONDS:
            raise CsrfError(NOT_VERIFIED)
        if age > self.settings.max_age_seconds:
            raise CsrfError(EXPIRED)

    def check_human(self, form: Mapping[str, Any]) -> None:
        """Raise `BotCheckError` if the honeypot is filled or the form came back too fast."""
        honeypot = form.get(HONEYPOT_FIELD)
        if not isinstance(honeypot, str | None) or (honeypot or "").strip():
            raise BotCheckError(NOT_ACCEPTED)
        stamp = form.get(FORM_ISSUED_FIELD)
        parsed = _FORM_ISSUED.match(stamp) if isinstance(stamp, str) else None
        if parsed is None:
            raise BotCheckError(NOT_ACCEPTED)
        issued_ms, signature = parsed.groups()
        if not hmac.compare_digest(signature, self._sign("form-issued-v1", issued_ms)):
            raise BotCheckError(NOT_ACCEPTED)
        elapsed = self.clock() - int(issued_ms) / 1000
        if elapsed > self.settings.max_age_seconds:
            raise BotCheckError(EXPIRED)
        if elapsed < self.settings.min_fill_seconds:
            raise BotCheckError(TOO_FAST)

    async def verify(self, request: Request) -> FormData:
        """The posted form, once its CSRF token and the bot check pass; safe methods pass."""
        if request.method in SAFE_METHODS:
            return FormData()
        form = await request.form()
        token = form.get(CSRF_FIELD)
        self.check_csrf(
            request.cookies.get(self.cookie_name), token if isinstance(token, str) else None
        )
        self.check_human(form)
        return form


def install_form_protection(
    app: FastAPI, settings: FormSettings | None = None, clock: Clock = time.time
) -> FormProtection:
    """Give `app` the form protection its pages and `VerifiedForm` parameters use."""
    protection = FormProtection(settings or FormSettings(), clock)
    app.state.form_protection = protection
    return protection


def form_protection(request: Request) -> FormProtection:
    protection = getattr(request.app.state, "form_protection", None)
    if not isinstance(protection, FormProtection):
        raise RuntimeError("call install_form_protection(app) before serving forms")
    return protection


def issue_form(request: Request) -> FormTokens:
    """Tokens for a form about to be rendered; then `set_form_cookie` on the response."""
    return form_protection(request).issue(request)


def set_form_cookie(request: Request, response: Response, tokens: FormTokens) -> None:
    form_protection(request).set_cookie(response, tokens)


def issue_csrf(request: Request, response: Response) -> str:
    """A CSRF token for a form, setting its browser cookie on `response`."""
    return form_protection(request).issue_csrf(request, response)


async def verified_form(request: Request) -> FormData:
    """FastAPI dependency: the posted form; 403 if its CSRF token or the bot check fails."""
    return await form_protection(request).verify(request)


VerifiedForm = Annotated[FormData, Depends(verified_form)]
