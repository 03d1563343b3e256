"""The case view masks identity numbers and the birth date; `POST .../reveal` shows them only
to roles holding `case.reveal_identity` within their office, and audits every attempt."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.config import Settings
from ombuds_cases.crypto.identity import DATE_MASK, MASK
from ombuds_cases.main import create_app
from ombuds_cases.models import Case
from ombuds_cases.staff.credentials import new_session_token, token_hash
from ombuds_cases.staff.models import StaffAccount, StaffSession, TrainingAttestation
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.events import SUBMISSION_CORRECTED_V1, SubmissionCorrectedV1, make_event

from ..conftest import OpenCase, unreachable_platform

SessionFactory = async_sessionmaker[AsyncSession]
PASSPORT = "X98765432"
BIRTH = "1980-02-29"
IDENTITY = {"passport_number": PASSPORT, "date_of_birth": BIRTH, "passport_country": "MX"}
BOTH = ["identity.date_of_birth", "identity.passport_number"]


async def staff_token(session_factory: SessionFactory, role: Role, office: Office | None) -> str:
    """A trained, active account of this role with an open session; returns its bearer token."""
    staff_id = uuid.uuid4().hex
    token = new_session_token()
    now = utcnow()
    async with session_factory() as session:
        session.add(
            StaffAccount(
                id=staff_id,
                email=f"{role.value}.{staff_id[:8]}@agency.example.gov",
                name=role.value,
                role=role.value,
                office=office.value if office else None,
                expires_on=now.date() + timedelta(days=90),
                active=True,
                password_hash="not used: the session is opened directly",
                password_must_change=False,
                designated_by="fixture",
            )
        )
        await session.flush()
        session.add(
            TrainingAttestation(
                staff_id=staff_id,
                course="General Privacy Awareness Course",
                completed_on=now.date(),
                attested_by="fixture",
            )
        )
        session.add(
            StaffSession(
                token_hash=token_hash(token),
                staff_id=staff_id,
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        await session.commit()
    return token


async def in_office(session_factory: SessionFactory, number: str, office: Office) -> None:
    async with session_factory() as session:
        await session.execute(
            update(Case).where(Case.control_number == number).values(office=office.value)
        )
        await session.commit()


async def reveals_of(
    session_factory: SessionFactory, number: str
) -> list[tuple[str, str, list[str]]]:
    async with session_factory() as session:
        records = await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.record_id == number, AuditRecord.action == "reveal")
            .order_by(AuditRecord.sequence)
        )
        return [(r.actor_role, r.outcome, list(r.fields)) for r in records]


async def test_the_case_view_masks_identity_numbers_and_the_birth_date(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)

    response = await client.get(f"/api/v1/cases/{number}")

    assert response.status_code == 200
    assert PASSPORT not in response.text
    assert BIRTH not in response.text
    identity = response.json()["details"]["identity"]
    assert identity["passport_number"] == {"masked": True, "value": MASK + "5432"}
    assert identity["date_of_birth"] == {"masked": True, "value": DATE_MASK}
    assert identity["passport_country"] == "MX"


@pytest.mark.parametrize(
    ("role", "office"),
    [
        (Role.CASE_OFFICER, Office.FIELD_OPERATIONS),
        (Role.SUPERVISOR, None),
        (Role.SUPERVISOR, Office.FIELD_OPERATIONS),
        (Role.PRIVACY_OFFICER, None),
    ],
)
async def test_a_role_that_may_reveal_sees_the_values_and_is_audited(
    client: httpx.AsyncClient,
    session_factory: SessionFactory,
    open_case: OpenCase,
    role: Role,
    office: Office | None,
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    await in_office(session_factory, number, Office.FIELD_OPERATIONS)
    token = await staff_token(session_factory, role, office)

    response = await client.post(
        f"/api/v1/cases/{number}/reveal",
        json={"fields": ["identity.passport_number", "identity.date_of_birth"]},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "control_number": number,
        "values": {"identity.passport_number": PASSPORT, "identity.date_of_birth": BIRTH},
    }
    assert await reveals_of(session_factory, number) == [(role.value, "success", BOTH)]


@pytest.mark.parametrize(
    ("role", "office"),
    [
        (Role.CASE_OFFICER, Office.BORDER_PATROL),
        (Role.SUPERVISOR, Office.TRADE),
        (Role.INTAKE_SPECIALIST, None),
        (Role.RECORDS_OFFICER, None),
        (Role.SECURITY_OFFICER, None),
        (Role.ADMINISTRATOR, None),
    ],
)
async def test_a_role_that_may_not_reveal_here_is_refused_and_audited(
    client: httpx.AsyncClient,
    session_factory: SessionFactory,
    open_case: OpenCase,
    role: Role,
    office: Office | None,
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    await in_office(session_factory, number, Office.FIELD_OPERATIONS)
    token = await staff_token(session_factory, role, office)

    response = await client.post(
        f"/api/v1/cases/{number}/reveal",
        json={"fields": BOTH},
        headers={"Authorization": f"Bearer {token}"},
    )

    # A role that may reveal, outside the case's office, gets the 404 of a missing case (its
    # attempt is audited with the fields it asked for); any other role the 403 of its role,
    # refused before the request body is read.
    outside_office = role in (Role.CASE_OFFICER, Role.SUPERVISOR)
    assert response.status_code == (404 if outside_office else 403)
    assert PASSPORT not in response.text
    fields = BOTH if outside_office else []
    assert await reveals_of(session_factory, number) == [(role.value, "denied", fields)]


async def test_no_session_unknown_case_and_unknown_field(
    client: httpx.AsyncClient, session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    missing = new_control_number()

    no_session = await client.post(
        f"/api/v1/cases/{number}/reveal",
        json={"fields": BOTH},
        headers={"Authorization": "Bearer not-a-session"},
    )
    not_found = await client.post(f"/api/v1/cases/{missing}/reveal", json={"fields": BOTH})
    unknown = await client.post(f"/api/v1/cases/{number}/reveal", json={"fields": ["narrative"]})

    assert (no_session.status_code, not_found.status_code) == (401, 404)
    assert await reveals_of(session_factory, number) == [("none", "denied", [])]
    # The development token is `dev-staff` (role `staff`) in the audit, as everywhere.
    assert await reveals_of(session_factory, missing) == [("staff", "not_found", BOTH)]
    assert unknown.status_code == 422
    [error] = unknown.json()["errors"]
    assert error["field"] == "fields"
    assert "only masked fields can be revealed" in error["message"]


async def test_plaintext_stored_before_encryption_is_sealed_when_the_service_starts(
    migrated_url: str, session_factory: SessionFactory
) -> None:
    number = new_control_number()
    now = datetime.now(UTC)
    async with session_factory() as session:
        session.add(
            Case(
                control_number=number,
                kind="complaint",
                category="border_patrol",
                channel="phone",
                anonymous=False,
                narrative="Stopped at the checkpoint.",
                language="en",
                details={"identity": {"border_crossing_card_number": "BCC00112233"}},
                status="received",
                received_at=now,
                opened_at=now,
                updated_at=now,
            )
        )
        await session.commit()

    app = create_app(
        Settings(database_url=migrated_url, run_worker=False, platform=unreachable_platform())
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://cases",
            headers={"Authorization": "Bearer dev-staff-token"},
        ) as started,
    ):
        async with session_factory() as session:
            case = await session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        assert "BCC00112233" not in str(case.details)
        shown = await started.get(f"/api/v1/cases/{number}")
        revealed = await started.post(
            f"/api/v1/cases/{number}/reveal",
            json={"fields": ["identity.border_crossing_card_number"]},
        )

    assert shown.json()["details"]["identity"]["border_crossing_card_number"] == {
        "masked": True,
        "value": MASK + "2233",
    }
    assert revealed.json()["values"] == {"identity.border_crossing_card_number": "BCC00112233"}


async def test_a_corrected_number_is_masked_in_the_amendment_and_revealed_on_request(
    client: httpx.AsyncClient, session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    amendment_id = uuid.uuid4().hex
    body = SubmissionCorrectedV1(
        control_number=number,
        amendment_id=amendment_id,
        field="identity.passport_number",
        previous_value=PASSPORT,
        new_value="Y11112222",
        reason="typo",
        corrected_at=datetime.now(UTC),
    )
    await SelfServiceHandler(session_factory, None)(
        make_event("ombuds/intake", SUBMISSION_CORRECTED_V1, body, number)
    )
    token = await staff_token(session_factory, Role.PRIVACY_OFFICER, None)
    asked = [
        f"amendments.{amendment_id}.new_value",
        f"amendments.{amendment_id}.previous_value",
        "amendments.not-this-case.previous_value",
        "identity.passport_number",
    ]

    shown = await client.get(f"/api/v1/cases/{number}")
    revealed = await client.post(
        f"/api/v1/cases/{number}/reveal",
        json={"fields": asked},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert PASSPORT not in shown.text
    assert "Y11112222" not in shown.text
    [amendment] = shown.json()["amendments"]
    assert amendment["previous_value"] == {"masked": True, "value": MASK + "5432"}
    assert amendment["new_value"] == {"masked": True, "value": MASK + "2222"}
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["values"] == {
        f"amendments.{amendment_id}.new_value": "Y11112222",
        f"amendments.{amendment_id}.previous_value": PASSPORT,
        "amendments.not-this-case.previous_value": None,
        "identity.passport_number": "Y11112222",
    }
    assert await reveals_of(session_factory, number) == [("privacy_officer", "success", asked)]
