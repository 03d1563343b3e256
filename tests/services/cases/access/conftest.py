"""Access fixtures: the cases app (with its audit writer) and real staff of every role, each
designated, trained, TOTP-enrolled and signed in through the staff API, the way a new
member of staff starts."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest

from ombuds_cases.config import DEVELOPMENT_STAFF_TOKEN, Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import utcnow

from ..conftest import OpenCase, unreachable_platform

DEVELOPMENT = {"Authorization": f"Bearer {DEVELOPMENT_STAFF_TOKEN}"}
PASSWORD = "a long passphrase nobody guesses"
FIELD = Office.FIELD_OPERATIONS
BORDER = Office.BORDER_PATROL

# Each role's office: office-bound roles sit in Field Operations, the office of the cases.
HOME_OFFICE: dict[Role, Office | None] = {
    Role.INTAKE_SPECIALIST: FIELD,
    Role.CASE_OFFICER: FIELD,
    Role.SUPERVISOR: FIELD,
    Role.RECORDS_OFFICER: None,
    Role.PRIVACY_OFFICER: None,
    Role.SECURITY_OFFICER: None,
    Role.ADMINISTRATOR: None,
}


@dataclass(frozen=True)
class Staffer:
    id: str
    email: str
    role: Role
    office: Office | None
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Roster:
    """One signed-in member of staff per role, plus case officers of a second office."""

    by_role: dict[Role, Staffer]
    border_officer: Staffer
    border_supervisor: Staffer


def ok(response: httpx.Response, expected: int) -> dict[str, Any]:
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def enlist(client: httpx.AsyncClient, role: Role, office: Office | None) -> Staffer:
    """Designate, enrol TOTP, attest training, sign in and replace the one-time password."""
    email = f"{role.value}.{uuid.uuid4().hex[:10]}@agency.example.gov"
    created = ok(
        await client.post(
            "/api/v1/staff",
            json={
                "email": email,
                "name": role.value.replace("_", " ").title(),
                "role": role.value,
                "office": office.value if office else None,
                "expires_on": (utcnow().date() + timedelta(days=90)).isoformat(),
            },
            headers=DEVELOPMENT,
        ),
        201,
    )
    staff_id, one_time = created["staff"]["id"], created["one_time_password"]
    enrolled = ok(await client.post(f"/api/v1/staff/{staff_id}/totp", headers=DEVELOPMENT), 201)
    secret = pyotp.parse_uri(enrolled["otpauth_uri"]).secret
    training = {"completed_on": utcnow().date().isoformat()}
    ok(
        await client.post(f"/api/v1/staff/{staff_id}/training", json=training, headers=DEVELOPMENT),
        201,
    )
    signed = ok(
        await client.post(
            "/api/v1/staff/session",
            json={"email": email, "password": one_time, "code": pyotp.TOTP(secret).now()},
        ),
        201,
    )
    client.cookies.clear()  # the bearer token is what every test sends
    token = signed["token"]
    change = {"current_password": one_time, "new_password": PASSWORD}
    ok(
        await client.post(
            "/api/v1/staff/me/password",
            json=change,
            headers={"Authorization": f"Bearer {token}"},
        ),
        204,
    )
    return Staffer(staff_id, email, role, office, token)


@pytest.fixture(scope="module")
async def client(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The cases app with its lifespan (the audit writer runs); no default credentials."""
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=unreachable_platform()
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases") as c,
    ):
        yield c


@pytest.fixture(scope="module")
async def roster(client: httpx.AsyncClient) -> Roster:
    by_role = {role: await enlist(client, role, office) for role, office in HOME_OFFICE.items()}
    return Roster(
        by_role,
        border_officer=await enlist(client, Role.CASE_OFFICER, BORDER),
        border_supervisor=await enlist(client, Role.SUPERVISOR, BORDER),
    )


RouteCase = Callable[[Office], Awaitable[str]]


@pytest.fixture
def case_in(client: httpx.AsyncClient, open_case: OpenCase) -> RouteCase:
    """`await case_in(FIELD)`: a new case assigned to that office (status assigned)."""

    async def routed(office: Office) -> str:
        number = await open_case()
        ok(
            await client.post(
                f"/api/v1/cases/{number}/assignment",
                json={"office": office.value},
                headers=DEVELOPMENT,
            ),
            200,
        )
        return number

    return routed
