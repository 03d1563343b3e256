"""Every role against every staff endpoint: 2xx where the policy allows it, 403 where not.

The expectations are written out here by hand (not read from the policy table), so a change
to the table that widens or narrows access shows up as a failing cell.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow

from .conftest import MakeStaff

FIELD = Office.FIELD_OPERATIONS
ALL = frozenset(Role)
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
READERS = frozenset({Role.SUPERVISOR, Role.SECURITY_OFFICER, Role.ADMINISTRATOR})

# Each role's office in the matrix: office-bound roles sit in Field Operations, like the target.
ACTOR_OFFICE: dict[Role, Office | None] = {
    Role.INTAKE_SPECIALIST: FIELD,
    Role.CASE_OFFICER: FIELD,
    Role.SUPERVISOR: FIELD,
    Role.RECORDS_OFFICER: None,
    Role.PRIVACY_OFFICER: None,
    Role.SECURITY_OFFICER: None,
    Role.ADMINISTRATOR: None,
}


def _new_officer(_: str) -> dict[str, Any]:
    return {
        "email": f"new.officer.{uuid.uuid4().hex[:10]}@agency.example.gov",
        "name": "New Officer",
        "role": "case_officer",
        "office": "field_operations",
        "expires_on": (utcnow().date() + timedelta(days=180)).isoformat(),
    }


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {target} is the id of a Field Operations case officer
    allowed: frozenset[Role]
    success: int
    body: Callable[[str], dict[str, Any]] | None = None


ENDPOINTS: dict[str, Endpoint] = {
    "sign out": Endpoint("DELETE", "/api/v1/staff/session", ALL, 204),
    "me": Endpoint("GET", "/api/v1/staff/me", ALL, 200),
    "list": Endpoint("GET", "/api/v1/staff", READERS, 200),
    "show": Endpoint("GET", "/api/v1/staff/{target}", READERS, 200),
    "create": Endpoint("POST", "/api/v1/staff", MANAGERS, 201, _new_officer),
    "change": Endpoint(
        "PATCH",
        "/api/v1/staff/{target}",
        MANAGERS,
        200,
        lambda _: {"expires_on": (utcnow().date() + timedelta(days=30)).isoformat()},
    ),
    "deactivate": Endpoint("POST", "/api/v1/staff/{target}/deactivate", MANAGERS, 200),
    "attest training": Endpoint(
        "POST",
        "/api/v1/staff/{target}/training",
        MANAGERS,
        201,
        lambda _: {"completed_on": utcnow().date().isoformat()},
    ),
    "enrol totp": Endpoint("POST", "/api/v1/staff/{target}/totp", MANAGERS, 201),
}


async def _call(
    client: httpx.AsyncClient, endpoint: Endpoint, target: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        endpoint.method,
        endpoint.path.format(target=target),
        json=endpoint.body(target) if endpoint.body else None,
        headers=headers,
    )


@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
@pytest.mark.parametrize("role", list(Role))
async def test_role_against_endpoint(
    client: httpx.AsyncClient, make_staff: MakeStaff, role: Role, endpoint_name: str
) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    actor = await make_staff(role, ACTOR_OFFICE[role])
    target = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)

    response = await _call(client, endpoint, target.id, actor.headers)

    expected = endpoint.success if role in endpoint.allowed else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
async def test_the_development_token_reaches_every_endpoint(
    client: httpx.AsyncClient, make_staff: MakeStaff, endpoint_name: str
) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    target = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)

    response = await _call(client, endpoint, target.id, {"Authorization": "Bearer dev-staff-token"})

    assert response.status_code == endpoint.success, response.text


@pytest.mark.parametrize(
    "endpoint_name", ["show", "change", "deactivate", "attest training", "enrol totp"]
)
async def test_a_supervisor_cannot_touch_another_office_account(
    client: httpx.AsyncClient, make_staff: MakeStaff, endpoint_name: str
) -> None:
    supervisor = await make_staff(Role.SUPERVISOR, Office.BORDER_PATROL)
    target = await make_staff(Role.CASE_OFFICER, FIELD, signed_in=False)

    response = await _call(client, ENDPOINTS[endpoint_name], target.id, supervisor.headers)

    assert response.status_code == 403


@pytest.mark.parametrize("endpoint_name", ["change", "deactivate", "enrol totp", "attest training"])
async def test_a_supervisor_cannot_manage_a_peer_supervisor(
    client: httpx.AsyncClient, make_staff: MakeStaff, endpoint_name: str
) -> None:
    supervisor = await make_staff(Role.SUPERVISOR, FIELD)
    peer = await make_staff(Role.SUPERVISOR, FIELD, signed_in=False)

    response = await _call(client, ENDPOINTS[endpoint_name], peer.id, supervisor.headers)

    assert response.status_code == 403
    shown = await _call(client, ENDPOINTS["show"], peer.id, supervisor.headers)
    assert shown.status_code == 200


@pytest.mark.parametrize("endpoint_name", ["change", "deactivate", "enrol totp", "attest training"])
async def test_no_one_manages_their_own_account(
    client: httpx.AsyncClient, make_staff: MakeStaff, endpoint_name: str
) -> None:
    admin = await make_staff(Role.ADMINISTRATOR)

    response = await _call(client, ENDPOINTS[endpoint_name], admin.id, admin.headers)

    assert response.status_code == 403
