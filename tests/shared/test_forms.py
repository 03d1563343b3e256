"""CSRF tokens and the accessible bot check, through a small FastAPI app on a fake clock."""

import re
from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import SecretStr, ValidationError

from ombuds_shared.forms import (
    CSRF_FIELD,
    DEVELOPMENT_SECRET,
    EXPIRED,
    FORM_ISSUED_FIELD,
    HONEYPOT_CSS,
    HONEYPOT_FIELD,
    NO_COOKIE,
    NOT_ACCEPTED,
    NOT_VERIFIED,
    TOO_FAST,
    BotCheckError,
    CsrfError,
    FormProtection,
    FormSettings,
    VerifiedForm,
    honeypot_html,
    install_form_protection,
    issue_csrf,
    issue_form,
    set_form_cookie,
    verified_form,
)
from ombuds_shared.http import install_common

SECRET = "a-test-secret-that-is-long-enough-for-hmac"
COOKIE = "__Host-ombuds_csrf"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings() -> FormSettings:
    return FormSettings(secret=SecretStr(SECRET))


def build_app(clock: FakeClock, secret: str = SECRET) -> FastAPI:
    app = FastAPI()
    install_common(app)
    install_form_protection(app, FormSettings(secret=SecretStr(secret)), clock)

    @app.get("/feedback")
    async def show(request: Request) -> HTMLResponse:
        tokens = issue_form(request)
        response = HTMLResponse(
            f'<form method="post">{tokens.hidden_fields_html()}'
            '<label for="message">Message</label><input id="message" name="message"></form>'
        )
        set_form_cookie(request, response, tokens)
        return response

    @app.post("/feedback")
    async def post(form: VerifiedForm) -> dict[str, str]:
        return {"message": str(form.get("message"))}

    @app.get("/token")
    async def token(request: Request, response: Response) -> dict[str, str]:
        return {"token": issue_csrf(request, response)}

    @app.get("/search", dependencies=[Depends(verified_form)])
    async def search() -> dict[str, str]:
        return {"results": "none"}

    return app


def browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portal.test")


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


async def open_form(http: httpx.AsyncClient) -> dict[str, str]:
    page = await http.get("/feedback")
    assert page.status_code == 200
    parser = _Inputs()
    parser.feed(page.text)
    return parser.fields


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(build_app(clock)) as client:
        yield client


def refused(response: httpx.Response, code: str, detail: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {"detail": detail, "code": code}


# --- CSRF ---------------------------------------------------------------------------------


async def test_a_form_filled_in_normally_is_accepted(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fields = await open_form(http)
    assert set(fields) == {CSRF_FIELD, FORM_ISSUED_FIELD, HONEYPOT_FIELD, "message"}
    clock.advance(30)
    response = await http.post("/feedback", data={**fields, "message": "Thank you, officer."})
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Thank you, officer."}


async def test_the_cookie_is_host_only_secure_httponly_and_lax(http: httpx.AsyncClient) -> None:
    page = await http.get("/feedback")
    cookie = page.headers["set-cookie"]
    assert re.match(rf"{COOKIE}=[A-Za-z0-9_-]{{43}};", cookie)
    for attribute in ("HttpOnly", "Max-Age=86400", "Path=/", "SameSite=lax", "Secure"):
        assert attribute in cookie
    assert "Domain" not in cookie


async def test_two_open_forms_share_one_cookie_and_both_work(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await open_form(http)
    cookie = http.cookies[COOKIE]
    second = await open_form(http)
    assert http.cookies[COOKIE] == cookie
    assert first[CSRF_FIELD] != second[CSRF_FIELD]
    clock.advance(10)
    assert (await http.post("/feedback", data=second)).status_code == 200
    assert (await http.post("/feedback", data=first)).status_code == 200


async def test_missing_token_is_refused(http: httpx.AsyncClient, clock: FakeClock) -> None:
    fields = await open_form(http)
    del fields[CSRF_FIELD]
    clock.advance(10)
    refused(await http.post("/feedback", data=fields), "csrf_failed", NOT_VERIFIED)


async def test_missing_cookie_is_refused_and_says_so(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fields = await open_form(http)
    http.cookies.clear()
    clock.advance(10)
    refused(await http.post("/feedback", data=fields), "csrf_failed", NO_COOKIE)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="signature-changed"),
        pytest.param(lambda t: str(int(t.split(".")[0]) + 3600) + t[t.index(".") :], id="time"),
        pytest.param(
            lambda t: t.split(".")[0] + ".AAAAAAAAAAAAAAAA." + t.split(".")[2], id="nonce"
        ),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "not.a.token", id="garbage"),
    ],
)
async def test_a_forged_token_is_refused(
    http: httpx.AsyncClient, clock: FakeClock, forge: Callable[[str], str]
) -> None:
    fields = await open_form(http)
    fields[CSRF_FIELD] = forge(fields[CSRF_FIELD])
    clock.advance(10)
    refused(await http.post("/feedback", data=fields), "csrf_failed", NOT_VERIFIED)


async def test_a_token_signed_with_another_secret_is_refused(clock: FakeClock) -> None:
    async with (
        browser(build_app(clock, secret="another-secret-that-is-long-enough-too")) as other,
        browser(build_app(clock)) as ours,
    ):
        fields = await open_form(other)
        ours.cookies.set(COOKIE, other.cookies[COOKIE], domain="portal.test")
        clock.advance(10)
        refused(await ours.post("/feedback", data=fields), "csrf_failed", NOT_VERIFIED)


async def test_a_token_from_another_browser_is_refused(clock: FakeClock) -> None:
    app = build_app(clock)
    async with browser(app) as victim, browser(app) as attacker:
        stolen = await open_form(victim)
        await open_form(attacker)
        assert attacker.cookies[COOKIE] != victim.cookies[COOKIE]
        clock.advance(10)
        refused(await attacker.post("/feedback", data=stolen), "csrf_failed", NOT_VERIFIED)
        # and the victim's own form still works
        assert (await victim.post("/feedback", data=stolen)).status_code == 200


async def test_an_expired_token_is_refused(http: httpx.AsyncClient, clock: FakeClock) -> None:
    fields = await open_form(http)
    clock.advance(24 * 3600 - 1)
    assert (await http.post("/feedback", data=fields)).status_code == 200
    clock.advance(2)
    refused(await http.post("/feedback", data=fields), "csrf_failed", EXPIRED)


async def test_a_token_from_the_far_future_is_refused(clock: FakeClock) -> None:
    protection = FormProtection(settings(), clock)
    clock.advance(3600)
    future = protection.issue(_request_without_cookie())
    clock.advance(-3600)
    with pytest.raises(CsrfError, match="could not be verified"):
        protection.check_csrf(future.cookie, future.csrf_token)
    clock.advance(3600)
    protection.check_csrf(future.cookie, future.csrf_token)


def _request_without_cookie() -> Request:
    return Request({"type": "http", "method": "GET", "headers": [], "path": "/"})


async def test_a_json_post_to_a_form_is_refused(http: httpx.AsyncClient, clock: FakeClock) -> None:
    fields = await open_form(http)
    clock.advance(10)
    refused(await http.post("/feedback", json=fields), "csrf_failed", NOT_VERIFIED)


async def test_safe_methods_are_not_checked(http: httpx.AsyncClient) -> None:
    response = await http.get("/search")
    assert response.status_code == 200
    assert response.json() == {"results": "none"}


async def test_issue_csrf_sets_the_cookie_on_the_response(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    issued = await http.get("/token")
    assert COOKIE in issued.headers["set-cookie"]
    token = issued.json()["token"]
    form = await open_form(http)  # the same browser, for a form issue time
    clock.advance(10)
    response = await http.post("/feedback", data={**form, CSRF_FIELD: token})
    assert response.status_code == 200, response.text


# --- bot check ----------------------------------------------------------------------------


async def test_a_filled_honeypot_is_refused(http: httpx.AsyncClient, clock: FakeClock) -> None:
    fields = await open_form(http)
    clock.advance(30)
    fields[HONEYPOT_FIELD] = "https://spam.example"
    refused(await http.post("/feedback", data=fields), "bot_check_failed", NOT_ACCEPTED)


async def test_a_form_sent_too_fast_is_refused_then_accepted(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fields = await open_form(http)
    clock.advance(1.5)
    refused(await http.post("/feedback", data=fields), "bot_check_failed", TOO_FAST)
    clock.advance(0.5)
    assert (await http.post("/feedback", data=fields)).status_code == 200


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(None, id="missing"),
        pytest.param("1700000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id="forged"),
        pytest.param("soon", id="garbage"),
    ],
)
async def test_a_missing_or_forged_issue_time_is_refused(
    http: httpx.AsyncClient, clock: FakeClock, stamp: str | None
) -> None:
    fields = await open_form(http)
    if stamp is None:
        del fields[FORM_ISSUED_FIELD]
    else:
        fields[FORM_ISSUED_FIELD] = stamp
    clock.advance(30)
    refused(await http.post("/feedback", data=fields), "bot_check_failed", NOT_ACCEPTED)


async def test_an_issue_time_moved_back_loses_its_signature(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fields = await open_form(http)
    issued_ms, signature = fields[FORM_ISSUED_FIELD].split(".")
    fields[FORM_ISSUED_FIELD] = f"{int(issued_ms) - 60_000}.{signature}"
    refused(await http.post("/feedback", data=fields), "bot_check_failed", NOT_ACCEPTED)


def test_an_old_issue_time_has_expired(clock: FakeClock) -> None:
    protection = FormProtection(settings(), clock)
    tokens = protection.issue(_request_without_cookie())
    clock.advance(24 * 3600 + 1)
    with pytest.raises(BotCheckError, match="expired"):
        protection.check_human({FORM_ISSUED_FIELD: tokens.form_issued, HONEYPOT_FIELD: ""})


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def test_the_honeypot_is_hidden_unreachable_and_labelled() -> None:
    markup = _Markup()
    markup.feed(honeypot_html())
    (wrapper_tag, wrapper), (label_tag, label), (input_tag, field_) = markup.tags
    assert (wrapper_tag, label_tag, input_tag) == ("div", "label", "input")
    assert wrapper["aria-hidden"] == "true"
    assert wrapper["class"]
    assert f".{wrapper['class']}{{" in HONEYPOT_CSS
    assert field_["name"] == HONEYPOT_FIELD
    assert field_["tabindex"] == "-1"
    assert field_["autocomplete"] == "off"
    assert field_["value"] == ""
    assert label["for"] == field_["id"]
    assert markup.text == "Leave this field empty"
    # Moved off screen, not display:none or visibility:hidden, which bots look for.
    assert "left:-10000px" in HONEYPOT_CSS
    assert "display:none" not in HONEYPOT_CSS.replace(" ", "")
    assert "visibility" not in HONEYPOT_CSS


# --- settings -----------------------------------------------------------------------------


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    monkeypatch.delenv("OMBUDS_FORMS_SECRET", raising=False)
    with pytest.raises(ValidationError, match="OMBUDS_FORMS_SECRET must be set"):
        FormSettings()
    monkeypatch.setenv("OMBUDS_FORMS_SECRET", SECRET)
    assert FormSettings().secret.get_secret_value() == SECRET


def test_development_may_use_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMBUDS_ENV", raising=False)
    monkeypatch.delenv("OMBUDS_FORMS_SECRET", raising=False)
    assert FormSettings().secret.get_secret_value() == DEVELOPMENT_SECRET


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        FormSettings(secret=SecretStr("short"))
