"""The referrals staff API trusts signed staff assertions from the cases service: each
endpoint asks for one permission, and the role matrix is the cases service's policy table.
Expired, forged and missing assertions get 401; a role without the permission gets 403."""

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ombuds_cases.staff.assertions import DEVELOPMENT_ASSERTION_KEY, assertion_for, issue
from ombuds_cases.staff.policy import Office, Role, StaffActor
from ombuds_referrals.config import DEVELOPMENT_STAFF_TOKEN, Settings
from ombuds_referrals.main import create_app
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.staff_assertions import sign_assertion

from .conftest import unreachable_platform

FIVE_MINUTES = timedelta(minutes=5)
OFFICES = {Role.CASE_OFFICER: Office.FIELD_OPERATIONS}


def bearer_for(role: Role) -> dict[str, str]:
    actor = StaffActor(
        f"id-{role.value}", f"{role.value}@agency.example.gov", "A", role, OFFICES.get(role)
    )
    token = issue(DEVELOPMENT_ASSERTION_KEY, actor, "referrals", utcnow(), FIVE_MINUTES)
    return {"Authorization": f"Bearer {token}"}


Endpoint = tuple[str, str, dict[str, str] | None]

# (method, path, body) of one endpoint guarded by each permission.
DIRECTORY: Endpoint = ("GET", "/api/v1/admin/directory", None)
RULES: Endpoint = ("GET", "/api/v1/admin/routing-rules", None)
SUGGEST: Endpoint = (
    "POST",
    "/api/v1/routing/suggestion",
    {"kind": "complaint", "category": "other", "text": "a plain comment"},
)
REFERRALS: Endpoint = ("GET", f"/api/v1/referrals?control_number={new_control_number()}", None)

MATRIX: dict[str, tuple[Endpoint, set[Role]]] = {
    "directory.manage": (DIRECTORY, {Role.ADMINISTRATOR}),
    "routing.manage": (RULES, {Role.ADMINISTRATOR, Role.SUPERVISOR}),
    "referral.manage (routing)": (SUGGEST, {Role.CASE_OFFICER, Role.SUPERVISOR}),
    "referral.manage (referrals)": (REFERRALS, {Role.CASE_OFFICER, Role.SUPERVISOR}),
}


async def call(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    headers: dict[str, str],
) -> httpx.Response:
    method, path, body = endpoint
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("permission", list(MATRIX))
async def test_each_role_reaches_exactly_the_endpoints_its_permissions_allow(
    client: httpx.AsyncClient, permission: str
) -> None:
    endpoint, allowed = MATRIX[permission]
    outcomes = {role: (await call(client, endpoint, bearer_for(role))).status_code for role in Role}
    assert {role for role, code in outcomes.items() if code == 200} == allowed
    assert {code for role, code in outcomes.items() if role not in allowed} == {403}


async def test_a_refusal_names_the_role_and_the_permission(client: httpx.AsyncClient) -> None:
    response = await call(client, DIRECTORY, bearer_for(Role.CASE_OFFICER))
    assert response.json()["detail"] == "A case_officer may not use directory.manage."


async def test_expired_forged_and_missing_assertions_are_401(client: httpx.AsyncClient) -> None:
    admin = StaffActor("id", "admin@agency.example.gov", "A", Role.ADMINISTRATOR, None)
    long_ago = utcnow() - timedelta(minutes=10)
    expired = issue(DEVELOPMENT_ASSERTION_KEY, admin, "referrals", long_ago, FIVE_MINUTES)
    forged = sign_assertion(
        Ed25519PrivateKey.generate(), assertion_for(admin, "referrals", utcnow(), FIVE_MINUTES)
    )
    for token, reason in ((expired, "expired"), (forged, "signature")):
        response = await call(client, DIRECTORY, {"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert reason in response.json()["detail"]
    assert (await call(client, DIRECTORY, {})).status_code == 401


PRODUCTION_KEY = Ed25519PrivateKey.generate()


@pytest.fixture
async def production_client(referrals_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Production with its own key pair: the development token and key count for nothing."""
    public = PRODUCTION_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    settings = Settings(
        database_url=referrals_url,
        run_worker=False,
        platform=unreachable_platform().model_copy(update={"environment": "production"}),
        staff_assertion_public_key=base64.b64encode(public).decode(),
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://referrals") as c,
    ):
        yield c


async def test_production_trusts_its_own_key_only(production_client: httpx.AsyncClient) -> None:
    dev_token = {"Authorization": f"Bearer {DEVELOPMENT_STAFF_TOKEN}"}
    assert (await call(production_client, DIRECTORY, dev_token)).status_code == 401
    signed_by_dev_key = bearer_for(Role.ADMINISTRATOR)
    assert (await call(production_client, DIRECTORY, signed_by_dev_key)).status_code == 401
    admin = StaffActor("id", "admin@agency.example.gov", "A", Role.ADMINISTRATOR, None)
    token = sign_assertion(
        PRODUCTION_KEY, assertion_for(admin, "referrals", utcnow(), FIVE_MINUTES)
    )
    signed = {"Authorization": f"Bearer {token}"}
    assert (await call(production_client, DIRECTORY, signed)).status_code == 200


def test_production_settings_refuse_the_development_public_key() -> None:
    with pytest.raises(ValueError, match="REFERRALS_STAFF_ASSERTION_PUBLIC_KEY"):
        Settings(platform=PlatformSettings.model_validate({"OMBUDS_ENV": "production"}))
