"""`require`, `CurrentStaff` and `authorize` on a case endpoint, wired as the case API will be."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff.auth import CurrentStaff, authorize, require
from ombuds_cases.staff.policy import Office, Role, StaffActor

from .conftest import MakeStaff, SessionFactory

FIELD = Office.FIELD_OPERATIONS
CaseReader = Annotated[StaffActor, Depends(require("case.read"))]


async def read_case(office: str, actor: CaseReader) -> dict[str, str]:
    """Stands in for GET /cases/{n}: load the case, then check its office."""
    authorize(actor, "case.read", None if office == "unrouted" else office)
    return {"read_by": actor.staff_id}


async def whoami(actor: CurrentStaff) -> dict[str, str]:
    return {"role": actor.role.value}


@pytest.fixture
async def case_client(
    settings: Settings, session_factory: SessionFactory
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.state.session_factory = session_factory
    app.add_api_route("/test/cases/{office}", read_case)
    app.add_api_route("/test/whoami", whoami)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cases"
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("role", "office", "expected"),
    [
        # (Field Operations case, Border Patrol case, unrouted case)
        (Role.CASE_OFFICER, FIELD, (200, 403, 403)),
        (Role.SUPERVISOR, FIELD, (200, 403, 403)),
        (Role.SUPERVISOR, None, (200, 200, 200)),
        (Role.INTAKE_SPECIALIST, None, (200, 200, 200)),
        (Role.RECORDS_OFFICER, None, (200, 200, 200)),
        (Role.PRIVACY_OFFICER, None, (200, 200, 200)),
        (Role.SECURITY_OFFICER, None, (403, 403, 403)),
        (Role.ADMINISTRATOR, None, (403, 403, 403)),
    ],
)
async def test_an_officer_reads_only_their_office_cases(
    case_client: httpx.AsyncClient,
    make_staff: MakeStaff,
    role: Role,
    office: Office | None,
    expected: tuple[int, int, int],
) -> None:
    actor = await make_staff(role, office)

    seen = [
        (await case_client.get(f"/test/cases/{where}", headers=actor.headers)).status_code
        for where in ("field_operations", "border_patrol", "unrouted")
    ]

    assert tuple(seen) == expected


async def test_office_refusals_say_why(
    case_client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    officer = await make_staff(Role.CASE_OFFICER, FIELD)
    response = await case_client.get("/test/cases/border_patrol", headers=officer.headers)
    assert response.json() == {
        "detail": "This case belongs to the border_patrol office, outside your office "
        "(field_operations).",
        "code": "forbidden",
    }


async def test_current_staff_needs_a_session_and_a_working_account(
    case_client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    assert (await case_client.get("/test/whoami")).status_code == 401
    untrained = await make_staff(Role.CASE_OFFICER, FIELD, untrained=True)
    assert (await case_client.get("/test/whoami", headers=untrained.headers)).status_code == 403
    trained = await make_staff(Role.CASE_OFFICER, FIELD)
    response = await case_client.get("/test/whoami", headers=trained.headers)
    assert response.json() == {"role": "case_officer"}
    dev = await case_client.get(
        "/test/cases/border_patrol", headers={"Authorization": "Bearer dev-staff-token"}
    )
    assert dev.status_code == 200
