"""Sign in with the organisation's OpenID provider (when CASES_STAFF_OIDC_ISSUER is set).

`/staff/sign-in/oidc` sends the browser to the provider with state, nonce and a PKCE challenge,
remembered in a signed, short-lived cookie; the callback checks the state, trades the code for
an ID token, verifies it and opens the same server-side session as password + TOTP would.
"""

import secrets
from datetime import timedelta

import httpx
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ombuds_cases.audit.dependencies import Actor, AuditDep
from ombuds_cases.config import Settings
from ombuds_cases.staff import errors, oidc, signin
from ombuds_cases.staff.auth import SESSION_COOKIE
from ombuds_cases.ui.pages import PASSWORD_PATH, SIGN_IN_PATH, FieldError, render, see_other
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.http import session_factory_of

router = APIRouter(include_in_schema=False)

OIDC_PATH = f"{SIGN_IN_PATH}/oidc"
CALLBACK_PATH = f"{OIDC_PATH}/callback"
FLOW_COOKIE = "ombuds_oidc_flow"
# Long enough to type a password and approve at the provider; short enough to go stale.
FLOW_SECONDS = 600
HTTP_TIMEOUT = httpx.Timeout(10.0)
# The audit names a refused attempt by what it claimed, or by this when nothing was verified.
UNVERIFIED_OIDC = Actor("oidc:unverified", "unverified")


def _configured(settings: Settings) -> oidc.Client:
    if not (
        settings.staff_oidc_issuer
        and settings.staff_oidc_client_id
        and settings.staff_oidc_client_secret
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "OpenID Connect sign-in is not set up.")
    return oidc.Client(
        settings.staff_oidc_issuer,
        settings.staff_oidc_client_id,
        settings.staff_oidc_client_secret.get_secret_value(),
    )


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        settings.forms.secret.get_secret_value(), salt="ombuds-staff-oidc-flow"
    )


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.staff_oidc_redirect_url or str(request.url_for("oidc_callback"))


def _http(request: Request) -> httpx.AsyncClient:
    """The app's client for the provider (tests set `app.state.oidc_http`), else a fresh one."""
    given: httpx.AsyncClient | None = getattr(request.app.state, "oidc_http", None)
    return given if given is not None else httpx.AsyncClient(timeout=HTTP_TIMEOUT)


async def _metadata(http: httpx.AsyncClient, client: oidc.Client) -> oidc.Metadata:
    # Fetched per sign-in (two per visit): rare, and a provider's changes apply at once.
    return await oidc.discover(http, client.issuer)


def _refused(request: Request, message: str) -> HTMLResponse:
    response = render(
        request,
        "sign_in.html",
        {"values": {}, "signed_out": False},
        errors=[FieldError("sign-in-oidc", message)],
        status_code=status.HTTP_401_UNAUTHORIZED,
    )
    response.delete_cookie(FLOW_COOKIE, path=OIDC_PATH)
    return response


@router.get(OIDC_PATH)
async def start(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    client = _configured(settings)
    http = _http(request)
    try:
        metadata = await _metadata(http, client)
    except oidc.OidcError:
        return _refused(request, _unavailable(settings))
    finally:
        if http is not getattr(request.app.state, "oidc_http", None):
            await http.aclose()
    flow = oidc.new_flow()
    response = see_other(
        oidc.authorization_url(metadata, client, _redirect_uri(request, settings), flow)
    )
    response.set_cookie(
        FLOW_COOKIE,
        _serializer(settings).dumps([flow.state, flow.nonce, flow.code_verifier]),
        max_age=FLOW_SECONDS,
        httponly=True,
        secure=settings.platform.environment != "development",
        # Lax, not strict: the callback is a top-level navigation from the provider's site.
        samesite="lax",
        path=OIDC_PATH,
    )
    return response


def _unavailable(settings: Settings) -> str:
    return (
        f"Sign-in with {settings.staff_oidc_provider_name} did not work. Try again, or sign in "
        "with your email, password and code."
    )


def _flow_of(request: Request, settings: Settings) -> oidc.Flow | None:
    """The flow this browser started, if its cookie is ours, fresh and matches `state`."""
    cookie = request.cookies.get(FLOW_COOKIE)
    state = request.query_params.get("state", "")
    if not cookie or not state:
        return None
    try:
        parts = _serializer(settings).loads(cookie, max_age=FLOW_SECONDS)
    except BadSignature:
        return None
    if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
        return None
    flow = oidc.Flow(*parts)
    return flow if secrets.compare_digest(flow.state, state) else None


async def _audit_refused(request: Request, audit: AuditDep, actor: Actor) -> None:
    async with UnitOfWork(session_factory_of(request)) as uow:
        await audit.naming(actor).append_in(
            uow.session, "create", "staff_session", "", outcome="denied"
        )
        await uow.commit()


@router.get(CALLBACK_PATH, name="oidc_callback")
async def callback(request: Request, audit: AuditDep) -> Response:
    settings: Settings = request.app.state.settings
    client = _configured(settings)
    flow = _flow_of(request, settings)
    code = request.query_params.get("code")
    if flow is None or not code:
        # A forged or replayed callback, a stale cookie, or the provider's own refusal.
        await _audit_refused(request, audit, UNVERIFIED_OIDC)
        return _refused(request, _unavailable(settings))
    http = _http(request)
    try:
        metadata = await _metadata(http, client)
        identity = await oidc.exchange_code(
            http, metadata, client, code, _redirect_uri(request, settings), flow
        )
    except oidc.OidcError:
        await _audit_refused(request, audit, UNVERIFIED_OIDC)
        return _refused(request, _unavailable(settings))
    finally:
        if http is not getattr(request.app.state, "oidc_http", None):
            await http.aclose()
    claimed = audit.naming(Actor(identity.email or f"oidc:{identity.subject}", "unverified"))
    async with UnitOfWork(session_factory_of(request)) as uow:
        try:
            token, _, account = await signin.sign_in_oidc(
                uow.session, identity, utcnow(), timedelta(hours=settings.staff_session_hours)
            )
        except (errors.AccountBlockedError, errors.OidcSignInRefusedError) as error:
            await claimed.append_in(uow.session, "create", "staff_session", "", outcome="denied")
            await uow.commit()
            return _refused(request, error.message)
        signed_in_as = audit.naming(Actor(account.email, account.role))
        await signed_in_as.append_in(uow.session, "create", "staff_session", account.id)
        await uow.commit()
    return _signed_in(request, settings, token, account.password_must_change)


def _signed_in(
    request: Request, settings: Settings, token: str, password_must_change: bool
) -> HTMLResponse:
    """A page that moves on by itself: a redirect here would carry the provider's cross-site
    navigation along, and the browser would then withhold the strict session cookie."""
    response = render(
        request,
        "oidc_signed_in.html",
        {"next_path": PASSWORD_PATH if password_must_change else "/staff/cases"},
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.staff_session_hours * 3600,
        httponly=True,
        secure=settings.platform.environment != "development",
        samesite="strict",
        path="/",
    )
    response.delete_cookie(FLOW_COOKIE, path=OIDC_PATH)
    return response
