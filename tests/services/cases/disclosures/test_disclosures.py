"""The accounting of disclosures on SQLite and PostgreSQL: every referral's delivery recorded
once however often its events arrive, with its basis (need to know inside DHS, routine use
outside it), manual disclosures, the per-case and per-person listings, and retention past the
case's purge."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.config import Settings
from ombuds_cases.disclosures.consumer import ReferralDeliveryHandler
from ombuds_cases.disclosures.models import Disclosure
from ombuds_cases.disclosures.retention import retain_until, years_after
from ombuds_cases.disclosures.service import extend_for_purge_date
from ombuds_cases.models import Base, Case
from ombuds_cases.privacy import blind_index
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    REFERRAL_DELIVERED_V1,
    CloudEvent,
    DisclosureV1,
    ReferralDeliveredV1,
    make_event,
)

from ..conftest import OpenCase

DELIVERED_AT = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
CRCL_ADDRESS = "2707 Martin Luther King Jr Avenue SE, Washington, DC 20528-0190"
FBI_ADDRESS = "935 Pennsylvania Avenue NW, Washington, DC 20535"
Sessions = async_sessionmaker[AsyncSession]


def delivered(
    control_number: str,
    referral_id: str,
    channel: str = "kafka",
    outside: bool = True,
) -> CloudEvent:
    """A `referral.delivered` as the referrals service publishes it (a fresh event id)."""
    disclosure = DisclosureV1(
        date=DELIVERED_AT,
        nature="complaint narrative and contact details",
        purpose="investigation of a threat to life"
        if outside
        else "review of a civil-liberties complaint",
        recipient_name="Federal Bureau of Investigation"
        if outside
        else "Office for Civil Rights and Civil Liberties",
        recipient_address=FBI_ADDRESS if outside else CRCL_ADDRESS,
        basis="b3_routine_use" if outside else "b1_need_to_know",
    )
    body = ReferralDeliveredV1(
        referral_id=referral_id,
        control_number=control_number,
        recipient_id="fbi" if outside else "crcl",
        occurred_at=DELIVERED_AT,
        channel=channel,
        action="deliver",
        disclosure=disclosure,
    )
    return make_event("ombuds-referrals", REFERRAL_DELIVERED_V1, body, control_number)


def in_flight(control_number: str, referral_id: str, form: dict[str, Any] | None) -> CloudEvent:
    """A `referral.delivered` staged before the basis existed: outside DHS it carried a
    disclosure without `basis`, inside DHS none at all."""
    return CloudEvent(
        source="ombuds-referrals",
        type=REFERRAL_DELIVERED_V1,
        subject=control_number,
        data={
            "referral_id": referral_id,
            "control_number": control_number,
            "recipient_id": "fbi" if form else "crcl",
            "occurred_at": DELIVERED_AT.isoformat(),
            "channel": "kafka",
            "action": "referral",
            "disclosure": form,
        },
    )


async def rows_of(sessions: Sessions, control_number: str) -> list[Disclosure]:
    async with sessions() as session:
        found = await session.scalars(
            select(Disclosure).where(Disclosure.control_number == control_number)
        )
        return list(found.all())


async def test_a_delivery_outside_dhs_is_accounted_once_however_often_it_arrives(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    handler = ReferralDeliveryHandler(session_factory)
    event = delivered(number, "ref-fbi-1")
    await handler(event)
    await handler(event)  # the same event redelivered: the inbox drops it
    await handler(delivered(number, "ref-fbi-1", channel="webhook"))  # same referral, new event
    [row] = await rows_of(session_factory, number)
    assert row.source == "referral"
    assert row.basis == "b3_routine_use"
    assert row.subject_name == "Ana Pérez"
    assert row.subject_email == "ana@example.org"
    assert row.disclosed_at == DELIVERED_AT
    assert row.recipient_name == "Federal Bureau of Investigation"
    assert row.recipient_address == FBI_ADDRESS
    assert row.purpose == "investigation of a threat to life"
    assert row.nature == "complaint narrative and contact details"
    assert row.method == "referral (kafka)"
    assert row.disclosed_by == "referral ref-fbi-1"
    assert row.retain_until == datetime(2031, 11, 20, 15, 30, tzinfo=UTC)


async def test_a_delivery_inside_dhs_is_accounted_as_need_to_know(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    handler = ReferralDeliveryHandler(session_factory)
    await handler(delivered(number, "ref-crcl", outside=False))
    await handler(delivered(number, "ref-crcl", channel="email", outside=False))
    [row] = await rows_of(session_factory, number)
    assert row.basis == "b1_need_to_know"
    assert row.recipient_name == "Office for Civil Rights and Civil Liberties"
    assert row.recipient_address == CRCL_ADDRESS
    assert row.disclosed_by == "referral ref-crcl"


async def test_events_in_flight_from_before_the_basis_are_still_accepted(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    handler = ReferralDeliveryHandler(session_factory)
    form = {
        "date": DELIVERED_AT.isoformat(),
        "nature": "complaint narrative",
        "purpose": "investigation",
        "recipient_name": "Federal Bureau of Investigation",
        "recipient_address": FBI_ADDRESS,
    }
    await handler(in_flight(number, "ref-old-fbi", form))
    # An old delivery inside DHS carried no form: nothing to account it with.
    await handler(in_flight(number, "ref-old-crcl", None))
    [row] = await rows_of(session_factory, number)
    assert (row.disclosed_by, row.basis) == ("referral ref-old-fbi", "b3_routine_use")


async def test_a_second_referral_of_the_same_case_is_a_second_row(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    handler = ReferralDeliveryHandler(session_factory)
    await handler(delivered(number, "ref-a"))
    await handler(delivered(number, "ref-b"))
    assert len(await rows_of(session_factory, number)) == 2


def manual(**overrides: Any) -> dict[str, Any]:
    return {
        "method": "phone",
        "nature": "the submitter's name and the date of the incident",
        "purpose": "to confirm the identity of the traveller for the investigation",
        "recipient_name": "Department of State, Bureau of Consular Affairs",
        "recipient_address": "2201 C Street NW, Washington, DC 20520",
        "disclosed_at": "2026-11-21T10:00:00+00:00",
        **overrides,
    }


async def test_staff_record_a_manual_disclosure_listed_with_the_case(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    await ReferralDeliveryHandler(session_factory)(delivered(number, f"ref-{number}"))
    created = await client.post(f"/api/v1/cases/{number}/disclosures", json=manual())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["source"] == "manual"
    assert body["basis"] == "manual"
    assert body["method"] == "phone"
    assert body["subject_name"] == "Ana Pérez"
    assert body["disclosed_by"]
    assert body["retain_until"].startswith("2031-11-21T10:00:00")

    listed = await client.get(f"/api/v1/cases/{number}/disclosures")
    assert listed.status_code == 200
    assert [(d["source"], d["basis"], d["recipient_name"]) for d in listed.json()] == [
        ("referral", "b3_routine_use", "Federal Bureau of Investigation"),
        ("manual", "manual", "Department of State, Bureau of Consular Affairs"),
    ]


async def test_a_manual_disclosure_is_validated(
    client: httpx.AsyncClient, open_case: OpenCase
) -> None:
    number = await open_case()
    bad = await client.post(f"/api/v1/cases/{number}/disclosures", json=manual(method="telepathy"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "method"
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    late = await client.post(
        f"/api/v1/cases/{number}/disclosures", json=manual(disclosed_at=future)
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "disclosed_at"
    missing = await client.post(f"/api/v1/cases/{new_control_number()}/disclosures", json=manual())
    assert missing.status_code == 404
    mistyped = await client.post("/api/v1/cases/OMB-nope/disclosures", json=manual())
    assert mistyped.status_code == 422
    refused = await client.post(
        f"/api/v1/cases/{number}/disclosures",
        json=manual(),
        headers={"Authorization": "Bearer wrong"},
    )
    assert refused.status_code == 401


async def test_disclosures_are_listed_per_person_by_email_or_name(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    email = f"person-{datetime.now(UTC).timestamp()}@example.org"
    contact = {"first_name": "Lucía", "last_name": "Gómez", "email": email}
    first = await open_case(contact=contact)
    second = await open_case(contact=contact)
    other = await open_case()
    for number in (first, second, other):
        created = await client.post(f"/api/v1/cases/{number}/disclosures", json=manual())
        assert created.status_code == 201
    # A share inside DHS is listed too, so the person sees every office the record went to.
    await ReferralDeliveryHandler(session_factory)(
        delivered(first, f"ref-crcl-{first}", outside=False)
    )

    by_email = await client.get("/api/v1/disclosures", params={"email": email.upper()})
    assert by_email.status_code == 200
    assert sorted((d["control_number"], d["basis"]) for d in by_email.json()) == sorted(
        [(first, "manual"), (first, "b1_need_to_know"), (second, "manual")]
    )
    by_name = await client.get("/api/v1/disclosures", params={"name": "  LUCÍA   gómez "})
    assert {first, second} <= {d["control_number"] for d in by_name.json()}
    assert other not in {d["control_number"] for d in by_name.json()}
    neither = await client.get("/api/v1/disclosures")
    assert neither.status_code == 422
    assert "email or name" in neither.json()["detail"]


async def test_the_accounting_outlives_the_purge_of_its_case(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    await ReferralDeliveryHandler(session_factory)(delivered(number, f"ref-{number}"))
    async with UnitOfWork(session_factory) as uow:
        # What issue 6's purge will do: the case and every row keyed to it go; the accounting
        # has no key into it, so nothing reaches it.
        case_id = await uow.session.scalar(select(Case.id).where(Case.control_number == number))
        for table in reversed(Base.metadata.sorted_tables):
            for key in table.foreign_keys:
                if key.column.table.name == "cases":
                    await uow.session.execute(delete(table).where(key.parent == case_id))
        await uow.session.execute(delete(Case).where(Case.id == case_id))
        await uow.commit()
    listed = await client.get(f"/api/v1/cases/{number}/disclosures")
    assert [d["subject_name"] for d in listed.json()] == ["Ana Pérez"]


async def test_retention_is_the_longer_of_five_years_and_the_life_of_the_record(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    assert retain_until(DELIVERED_AT, None) == years_after(DELIVERED_AT, 5)
    later_purge = datetime(2033, 1, 1, tzinfo=UTC)
    assert retain_until(DELIVERED_AT, later_purge) == later_purge
    assert retain_until(DELIVERED_AT, datetime(2027, 1, 1, tzinfo=UTC)) == years_after(
        DELIVERED_AT, 5
    )
    assert years_after(datetime(2028, 2, 29, tzinfo=UTC), 5) == datetime(2033, 2, 28, tzinfo=UTC)

    number = await open_case()
    await ReferralDeliveryHandler(session_factory)(delivered(number, f"ref-{number}"))
    async with UnitOfWork(session_factory) as uow:
        await extend_for_purge_date(uow.session, number, later_purge)
        await uow.commit()
    [row] = await rows_of(session_factory, number)
    assert row.retain_until == later_purge


async def test_a_closed_case_keeps_its_accounting_until_its_purge_date(
    session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    closed_at = datetime(2030, 6, 1, tzinfo=UTC)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.session.scalar(select(Case).where(Case.control_number == number))
        assert case is not None
        case.closed_at = closed_at
        await uow.commit()
    await ReferralDeliveryHandler(session_factory)(delivered(number, f"ref-{number}"))
    [row] = await rows_of(session_factory, number)
    assert row.retain_until == datetime(2035, 6, 1, tzinfo=UTC)


async def test_closing_the_case_raises_its_accounting_to_the_purge_date(
    client: httpx.AsyncClient, session_factory: Sessions, open_case: OpenCase
) -> None:
    number = await open_case()
    await ReferralDeliveryHandler(session_factory)(delivered(number, f"ref-{number}"))
    [before] = await rows_of(session_factory, number)
    assert before.retain_until == years_after(DELIVERED_AT, 5)
    closed = await client.post(
        f"/api/v1/cases/{number}/close",
        json={"reason": "referred to the FBI", "disposition": "referred"},
    )
    assert closed.status_code == 200, closed.text
    closed_at = datetime.fromisoformat(closed.json()["closed_at"])
    [after] = await rows_of(session_factory, number)
    assert after.retain_until == years_after(closed_at, 5)
    assert after.retain_until > before.retain_until


async def test_a_search_by_person_audits_a_keyed_digest_never_the_email_or_name(
    client: httpx.AsyncClient, session_factory: Sessions, migrated_url: str
) -> None:
    email = f"audited-{datetime.now(UTC).timestamp()}@example.org"
    by_email = await client.get("/api/v1/disclosures", params={"email": email})
    by_name = await client.get("/api/v1/disclosures", params={"name": "Marisol Quintanilla"})
    assert by_email.status_code == by_name.status_code == 200

    async with session_factory() as session:
        logged = (
            await session.scalars(
                select(AuditRecord.record_id)
                .where(AuditRecord.record_type == "disclosure", AuditRecord.action == "search")
                .order_by(AuditRecord.sequence.desc())
                .limit(2)
            )
        ).all()
    key = Settings(database_url=migrated_url).blind_index.raw_key()
    # The same digest the blind index keeps: an auditor holding the key can still tell who
    # was looked up, but the append-only trail never holds the person's data itself.
    assert list(logged) == [
        f"name:{blind_index.digest(key, 'name', 'marisol quintanilla')}",
        f"email:{blind_index.digest(key, 'email', email.upper())}",
    ]
    assert not any(email in r or "Quintanilla" in r or "quintanilla" in r for r in logged)
