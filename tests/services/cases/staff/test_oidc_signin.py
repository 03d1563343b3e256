"""Staff sign-in with OpenID Connect against a real provider (panva's oidc-provider on Node.js):
the whole authorization code flow through the cases app, and the tokens it must refuse."""

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select, update

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.config import Settings
from ombuds_cases.staff.auth import SESSION_COOKIE
from ombuds_cases.staff.models import StaffAccount
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow
from support.oidc_idp import Person, ProviderUnderTest, approve_at_provider, running_idp

from .conftest import MakeStaff, SessionFactory, Staffer, app_client, platform

APP = "https://cases"
CALLBACK = f"{APP}/staff/sign-in/oidc/callback"
FIELD = Office.FIELD_OPERATIONS
NOT_LINKED = "This sign-in is not linked to a staff account"
DID_NOT_WORK = "Sign-in with Agency Login did not work"

Rewrite = Callable[[dict[str, Any]], str]


@pytest.fixture(scope="module")
async def idp() -> AsyncIterator[ProviderUnderTest]:
    async with running_idp(CALLBACK) as provider:
        yield provider


def oidc_settings(migrated_url: str, idp: ProviderUnderTest) -> Settings:
    return Settings.model_validate(
        {
            "database_url": migrated_url,
            "run_worker": False,
            "platform": platform("test"),
            "staff_oidc_issuer": idp.issuer,
            "staff_oidc_client_id": idp.client_id,
            "staff_oidc_client_secret": idp.client_secret,
            "staff_oidc_provider_name": "Agency Login",
        }
    )


class RewriteIdToken(httpx.AsyncBaseTransport):
    """Passes the app's calls to the provider through, replacing the ID token it is given:
    a man in the middle, or a provider gone wrong."""

    def __init__(self, rewrite: Rewrite | None) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if self.rewrite is None or not request.url.path.endswith("/token"):
            return response
        body = json.loads(await response.aread())
        body["id_token"] = self.rewrite(body)
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture
async def app(
    migrated_url: str, idp: ProviderUnderTest, session_factory: SessionFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, RewriteIdToken]]:
    transport = RewriteIdToken(None)
    async with (
        app_client(oidc_settings(migrated_url, idp), session_factory, base_url=APP) as client,
        httpx.AsyncClient(transport=transport) as provider_client,
    ):
        client._transport.app.state.oidc_http = provider_client  # type: ignore[attr-defined]
        yield client, transport


async def through_provider(
    client: httpx.AsyncClient, idp: ProviderUnderTest, person: Person
) -> httpx.Response:
    """Click "Sign in with ...", sign in and consent at the provider, land on the callback."""
    page = await client.get("/staff/sign-in")
    assert 'href="/staff/sign-in/oidc"' in page.text
    start = await client.get("/staff/sign-in/oidc")
    assert start.status_code == 303
    authorize = httpx.URL(start.headers["location"])
    assert authorize.params["code_challenge_method"] == "S256"
    assert authorize.params["state"]
    assert authorize.params["nonce"]
    async with httpx.AsyncClient(base_url=idp.issuer) as browser:
        back = await approve_at_provider(browser, str(authorize), person)
    assert back.startswith(CALLBACK), back
    return await client.get(back)


def person_for(staffer: Staffer) -> Person:
    return Person(subject=f"idp-{uuid.uuid4().hex[:12]}", email=staffer.email)


async def subject_of(session_factory: SessionFactory, staff_id: str) -> str | None:
    async with session_factory() as session:
        account = await session.get(StaffAccount, staff_id)
        assert account is not None
        return account.oidc_subject


async def sign_in_audits(session_factory: SessionFactory, actor: str) -> list[tuple[str, str]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(AuditRecord.outcome, AuditRecord.record_id)
            .where(AuditRecord.record_type == "staff_session", AuditRecord.actor == actor)
            .order_by(AuditRecord.sequence)
        )
        return [(outcome, record_id) for outcome, record_id in rows]


async def test_a_designated_trained_account_signs_in_and_is_pinned_to_its_subject(
    app: tuple[httpx.AsyncClient, RewriteIdToken],
    idp: ProviderUnderTest,
    make_staff: MakeStaff,
    session_factory: SessionFactory,
) -> None:
    client, _ = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    person = person_for(staffer)

    landed = await through_provider(client, idp, person)

    assert landed.status_code == 200
    assert 'url=/staff/cases"' in landed.text
    assert SESSION_COOKIE in landed.cookies
    me = await client.get("/api/v1/staff/me")
    assert me.status_code == 200
    assert me.json()["email"] == staffer.email
    assert me.json()["role"] == "case_officer"
    assert await subject_of(session_factory, staffer.id) == person.subject
    assert await sign_in_audits(session_factory, staffer.email) == [("success", staffer.id)]

    # Pinned: the next sign-in matches the subject alone, whatever email the provider sends.
    client.cookies.clear()
    again = await through_provider(client, idp, Person(person.subject, "renamed@example.org"))
    assert again.status_code == 200
    assert (await client.get("/api/v1/staff/me")).json()["id"] == staffer.id


async def test_an_unknown_subject_or_email_is_refused_without_saying_which_accounts_exist(
    app: tuple[httpx.AsyncClient, RewriteIdToken],
    idp: ProviderUnderTest,
    make_staff: MakeStaff,
    session_factory: SessionFactory,
) -> None:
    client, _ = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    strangers = [
        Person(f"idp-{uuid.uuid4().hex[:12]}", "nobody@agency.example.gov"),
        Person(f"idp-{uuid.uuid4().hex[:12]}"),
        # The right email, but the provider has not verified it.
        Person(f"idp-{uuid.uuid4().hex[:12]}", staffer.email, email_verified=False),
    ]
    for stranger in strangers:
        refused = await through_provider(client, idp, stranger)

        assert refused.status_code == 401
        assert NOT_LINKED in refused.text
        assert SESSION_COOKIE not in refused.cookies
    assert await subject_of(session_factory, staffer.id) is None
    assert await sign_in_audits(session_factory, "nobody@agency.example.gov") == [("denied", "")]


async def test_an_email_pinned_to_another_subject_is_refused(
    app: tuple[httpx.AsyncClient, RewriteIdToken], idp: ProviderUnderTest, make_staff: MakeStaff
) -> None:
    client, _ = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    assert (await through_provider(client, idp, person_for(staffer))).status_code == 200
    client.cookies.clear()

    # Someone else now holds that email at the provider.
    impostor = await through_provider(client, idp, person_for(staffer))

    assert impostor.status_code == 401
    assert NOT_LINKED in impostor.text


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ({"active": False}, "This account has been deactivated."),
        ({"expires_on": -1}, "This account expired on"),
        ({"untrained": True}, "No privacy-training attestation is recorded"),
        ({"trained_days_ago": 366}, "more than a year old"),
    ],
)
async def test_blocked_accounts_are_refused_with_their_reason(
    app: tuple[httpx.AsyncClient, RewriteIdToken],
    idp: ProviderUnderTest,
    make_staff: MakeStaff,
    session_factory: SessionFactory,
    block: dict[str, Any],
    reason: str,
) -> None:
    client, _ = app
    today = utcnow().date()
    staffer = await make_staff(
        Role.CASE_OFFICER,
        FIELD,
        signed_in=False,
        untrained=block.get("untrained", False),
        trained_on=today - timedelta(days=block.get("trained_days_ago", 0)),
    )
    if "active" in block or "expires_on" in block:
        values: dict[str, Any] = {"active": block.get("active", True)}
        if "expires_on" in block:
            values["expires_on"] = today + timedelta(days=block["expires_on"])
        async with session_factory() as session:
            await session.execute(
                update(StaffAccount).where(StaffAccount.id == staffer.id).values(**values)
            )
            await session.commit()

    refused = await through_provider(client, idp, person_for(staffer))

    assert refused.status_code == 401
    assert reason in refused.text
    assert SESSION_COOKIE not in refused.cookies
    assert (await client.get("/api/v1/staff/me")).status_code == 401
    assert await sign_in_audits(session_factory, staffer.email) == [("denied", "")]


def resigned(idp: ProviderUnderTest, **changes: Any) -> Rewrite:
    """The provider's own ID token with some claims changed, signed again with its real key."""

    def rewrite(body: dict[str, Any]) -> str:
        claims = jwt.decode(body["id_token"], idp.key).claims
        claims.update(changes)
        return jwt.encode({"alg": "RS256", "kid": idp.key.kid}, claims, idp.key)

    return rewrite


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def tampered(**changes: Any) -> Rewrite:
    """The provider's token with its payload changed and the old signature kept."""

    def rewrite(body: dict[str, Any]) -> str:
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(_b64decode(payload)) | changes
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    return rewrite


def foreign_key_signed(idp: ProviderUnderTest) -> Rewrite:
    """The same claims signed by someone else's key that claims the provider's key id."""
    other = RSAKey.generate_key(2048, parameters={"kid": str(idp.key.kid)})

    def rewrite(body: dict[str, Any]) -> str:
        claims = jwt.decode(body["id_token"], idp.key).claims
        return jwt.encode({"alg": "RS256", "kid": idp.key.kid}, claims, other)

    return rewrite


def secret_signed(idp: ProviderUnderTest) -> Rewrite:
    """HS256 with the client secret: anyone holding the secret (we do) could mint these."""

    def rewrite(body: dict[str, Any]) -> str:
        claims = jwt.decode(body["id_token"], idp.key).claims
        return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(idp.client_secret))

    return rewrite


BAD_TOKENS: dict[str, Callable[[ProviderUnderTest, str], Rewrite]] = {
    "tampered": lambda idp, email: tampered(email=email, sub="idp-someone-else"),
    "wrong audience": lambda idp, email: resigned(idp, aud="another-client"),
    "wrong nonce": lambda idp, email: resigned(idp, nonce="a-nonce-from-another-flow"),
    "wrong issuer": lambda idp, email: resigned(idp, iss="https://login.example.org"),
    "expired": lambda idp, email: resigned(idp, exp=int(time.time()) - 3600),
    "foreign key": lambda idp, email: foreign_key_signed(idp),
    "client-secret HS256": lambda idp, email: secret_signed(idp),
}


@pytest.mark.parametrize("bad", sorted(BAD_TOKENS))
async def test_an_id_token_that_fails_verification_is_refused(
    app: tuple[httpx.AsyncClient, RewriteIdToken],
    idp: ProviderUnderTest,
    make_staff: MakeStaff,
    session_factory: SessionFactory,
    bad: str,
) -> None:
    client, transport = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    target = await make_staff(Role.ADMINISTRATOR, signed_in=False)
    transport.rewrite = BAD_TOKENS[bad](idp, target.email)

    refused = await through_provider(client, idp, person_for(staffer))

    assert refused.status_code == 401
    assert DID_NOT_WORK in refused.text
    assert SESSION_COOKIE not in refused.cookies
    assert (await client.get("/api/v1/staff/me")).status_code == 401
    for account in (staffer, target):
        assert await subject_of(session_factory, account.id) is None
        assert await sign_in_audits(session_factory, account.email) == []


async def test_the_untouched_token_passes_the_same_rewriting_path(
    app: tuple[httpx.AsyncClient, RewriteIdToken], idp: ProviderUnderTest, make_staff: MakeStaff
) -> None:
    """The refusals above are the changes' doing, not the re-signing's."""
    client, transport = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    transport.rewrite = resigned(idp)

    assert (await through_provider(client, idp, person_for(staffer))).status_code == 200


async def test_a_callback_without_this_browsers_state_is_refused(
    app: tuple[httpx.AsyncClient, RewriteIdToken], idp: ProviderUnderTest, make_staff: MakeStaff
) -> None:
    client, _ = app
    staffer = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)
    start = await client.get("/staff/sign-in/oidc")
    async with httpx.AsyncClient(base_url=idp.issuer) as browser:
        back = await approve_at_provider(browser, start.headers["location"], person_for(staffer))

    # Login CSRF: an attacker's code and state delivered to a victim's browser.
    victim = await client.get("/staff/sign-in/oidc/callback", params={"code": "x", "state": "y"})
    forged_state = await client.get(back.replace("state=", "state=x"))
    client.cookies.clear()
    no_cookie = await client.get(back)

    for refused in (victim, forged_state, no_cookie):
        assert refused.status_code == 401
        assert DID_NOT_WORK in refused.text
        assert SESSION_COOKIE not in refused.cookies


def test_the_issuer_needs_the_client_and_https_in_production() -> None:
    with pytest.raises(ValueError, match="CASES_STAFF_OIDC_CLIENT_ID and CASES_STAFF_OIDC_CLIENT"):
        Settings(staff_oidc_issuer="https://login.example.gov")
    with pytest.raises(ValueError, match="must be an https:// URL in production"):
        Settings.model_validate(
            {
                "dev_staff_token": "a-production-token",
                # The staff assertion key's own production value, so only the issuer is wrong.
                "staff_assertion_key": "S" * 43 + "=",
                "platform": platform("production"),
                "staff_oidc_issuer": "http://login.example.gov",
                "staff_oidc_client_id": "ombuds",
                "staff_oidc_client_secret": "secret",
            }
        )


async def test_without_an_issuer_there_is_no_button_and_no_route(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/staff/sign-in")

    assert page.status_code == 200
    assert "/staff/sign-in/oidc" not in page.text
    assert (await client.get("/staff/sign-in/oidc")).status_code == 404
    assert (await client.get("/staff/sign-in/oidc/callback")).status_code == 404
