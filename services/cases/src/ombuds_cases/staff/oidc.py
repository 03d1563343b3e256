"""OpenID Connect relying party: authorization code flow with PKCE, state and nonce.

Discovery comes from the issuer's `/.well-known/openid-configuration`; the ID token's signature
is checked against the issuer's JWKS (fetched at each sign-in, so a rotated key is picked up at
once), then its `iss`, `aud` (and `azp`), `exp`, `iat` and `nonce`. Nothing here touches the
database: `signin.sign_in_oidc` decides which staff account, if any, the identity opens.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# Asymmetric only: with HS256 the client secret (which we share) could forge tokens.
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
# Clock skew tolerated between us and the provider, in seconds.
LEEWAY = 60


class OidcError(Exception):
    """The provider's answer cannot be trusted or used; `reason` is for the log, not the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Flow:
    """What the browser carries (signed) from the authorization request to the callback."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str | None
    email_verified: bool


def new_flow() -> Flow:
    return Flow(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        # RFC 7636: 43 to 128 characters; 64 random bytes give 86.
        code_verifier=secrets.token_urlsafe(64),
    )


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise OidcError(f"{what} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise OidcError(f"{what} is not JSON") from error
    if not isinstance(body, dict):
        raise OidcError(f"{what} is not a JSON object")
    return body


async def discover(http: httpx.AsyncClient, issuer: str) -> Metadata:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        body = _json_object(await http.get(url), "discovery")
    except httpx.HTTPError as error:
        raise OidcError(f"discovery failed: {error!r}") from error
    # OIDC Discovery 4.3: the document must name exactly the issuer we asked.
    if body.get("issuer") != issuer:
        raise OidcError(f"discovery names issuer {body.get('issuer')!r}, not {issuer!r}")
    fields = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    values = [body.get(name) for name in fields]
    if not all(isinstance(value, str) and value for value in values):
        raise OidcError("discovery lacks an authorization, token or JWKS endpoint")
    return Metadata(issuer, *(str(value) for value in values))


def authorization_url(metadata: Metadata, client: Client, redirect_uri: str, flow: Flow) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": code_challenge(flow.code_verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{urlencode(query)}"


async def exchange_code(
    http: httpx.AsyncClient,
    metadata: Metadata,
    client: Client,
    code: str,
    redirect_uri: str,
    flow: Flow,
) -> Identity:
    """Trade the code for an ID token at the token endpoint, and verify it."""
    try:
        response = await http.post(
            metadata.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": flow.code_verifier,
            },
            auth=(client.client_id, client.client_secret),
        )
        body = _json_object(response, "the token endpoint")
        keys = _json_object(await http.get(metadata.jwks_uri), "the JWKS")
    except httpx.HTTPError as error:
        raise OidcError(f"the token exchange failed: {error!r}") from error
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("the token endpoint returned no id_token")
    return verify_id_token(id_token, keys, metadata.issuer, client.client_id, flow.nonce)


def verify_id_token(
    id_token: str, jwks: dict[str, Any], issuer: str, client_id: str, nonce: str
) -> Identity:
    """The identity in a signed ID token meant for us, in answer to this flow (OIDC Core 3.1.3.7)."""
    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(ID_TOKEN_ALGORITHMS))
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise OidcError(f"the ID token was refused: {error!r}") from error
    claims = token.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("the ID token names other audiences and is not authorized for us")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise OidcError("the ID token's sub is not a string")
    email = claims.get("email")
    return Identity(
        subject=subject,
        email=email.lower() if isinstance(email, str) else None,
        email_verified=claims.get("email_verified") is True,
    )
