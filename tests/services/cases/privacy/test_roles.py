"""Only the privacy officer holds `privacy.requests` (the development token aside): every other
role, administrators included, is refused every privacy endpoint, and the refusal is audited."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff.policy import Office, Role

from ..conftest import OpenCase
from ..crypto.test_reveal_api import staff_token
from .conftest import NewRequest, ok

Sessions = async_sessionmaker[AsyncSession]
OFFICE: dict[Role, Office | None] = {
    Role.INTAKE_SPECIALIST: Office.FIELD_OPERATIONS,
    Role.CASE_OFFICER: Office.FIELD_OPERATIONS,
    Role.SUPERVISOR: None,
    Role.RECORDS_OFFICER: None,
    Role.SECURITY_OFFICER: None,
    Role.ADMINISTRATOR: None,
}


def _calls(rid: int) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", "/api/v1/privacy/requests", None),
        ("GET", f"/api/v1/privacy/requests/{rid}", None),
        ("POST", f"/api/v1/privacy/requests/{rid}/search", {"name": "Ana Pérez"}),
        ("GET", f"/api/v1/privacy/requests/{rid}/export.json", None),
        ("GET", f"/api/v1/privacy/requests/{rid}/export.pdf", None),
        ("POST", f"/api/v1/privacy/requests/{rid}/release", {"method": "mail"}),
        ("GET", "/api/v1/privacy/amendments", None),
    ]


@pytest.mark.parametrize("role", list(OFFICE))
async def test_every_other_role_is_refused(
    client: httpx.AsyncClient, session_factory: Sessions, new_request: NewRequest, role: Role
) -> None:
    rid = (await new_request())["id"]
    headers = {"Authorization": f"Bearer {await staff_token(session_factory, role, OFFICE[role])}"}
    for method, path, body in _calls(rid):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (role, path, response.text)
    async with session_factory() as session:
        denied = await session.scalars(
            select(AuditRecord.actor_role).where(
                AuditRecord.outcome == "denied", AuditRecord.actor_role == role.value
            )
        )
        assert len(denied.all()) >= len(_calls(rid))


async def test_the_privacy_officer_may_and_no_session_may_not(
    client: httpx.AsyncClient,
    session_factory: Sessions,
    new_request: NewRequest,
    open_case: OpenCase,
) -> None:
    number = await open_case()
    rid = (await new_request())["id"]
    token = await staff_token(session_factory, Role.PRIVACY_OFFICER, None)
    officer = {"Authorization": f"Bearer {token}"}
    ok(await client.get(f"/api/v1/privacy/requests/{rid}", headers=officer), 200)
    found = await client.post(
        f"/api/v1/privacy/requests/{rid}/search", json={"name": "Ana Pérez"}, headers=officer
    )
    assert found.status_code == 200
    assert number in {case["control_number"] for case in found.json()}
    anonymous = await client.get("/api/v1/privacy/requests", headers={"Authorization": ""})
    assert anonymous.status_code == 401
