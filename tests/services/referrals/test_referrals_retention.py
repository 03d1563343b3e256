"""The referrals retention purge on SQLite and PostgreSQL: a case referred twice through the
staff, agency and delivery paths, purged by the `case.archive-requested` handler; afterwards
nothing of the person is left in any table, and the bare referrals remain."""

import secrets
import string
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ombuds_referrals.activities import ReferralActivities
from ombuds_referrals.models import OutboxRecord, Referral, ReferralDelivery
from ombuds_referrals.retention import RetentionPurger
from ombuds_shared.contracts import DeliverReferral
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    CASE_ARCHIVE_REQUESTED_V1,
    REFERRAL_OUTBOUND_V1,
    REFERRALS_TOPIC,
    STORE_CLEARED_V1,
    CaseArchiveRequestedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from support.purge import tables, traces
from support.referrals import STAFF, issue_key, refer

pytestmark = pytest.mark.integration

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phrase: str
    passport: str

    @classmethod
    def fresh(cls, first_name: str, last_name: str) -> "Person":
        tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        return cls(
            first_name=f"{first_name}{tag}",
            last_name=f"{last_name}{tag}",
            email=f"{first_name.lower()}.{tag}@example.org",
            phrase=f"held in secondary inspection for nine hours {tag}",
            passport=f"P{tag.upper()}",
        )

    @property
    def needles(self) -> list[str]:
        return [self.first_name, self.last_name, self.email, self.phrase, self.passport]


@dataclass(frozen=True)
class Seeded:
    control_number: str
    referral_ids: list[str]


async def seed(client: httpx.AsyncClient, sessions: Sessions, person: Person) -> Seeded:
    """Referred to the FBI (delivered on the outbound topic, then recalled) and to the State
    Department (which asks, responds and disposes); staff's routing decision gives a reason."""
    control_number = new_control_number()
    who = f"{person.first_name} {person.last_name}"
    fbi = await refer(
        client,
        "fbi",
        control_number=control_number,
        purpose=f"investigation of what {who} reports",
        nature=f"narrative ({person.phrase}), {person.email}, passport {person.passport}",
    )
    await ReferralActivities(sessions).deliver(
        DeliverReferral(
            referral_id=fbi["id"],
            channel="kafka",
            action="referral",
            idempotency_key=f"{fbi['id']}:referral:kafka",
        )
    )
    recalled = await client.post(
        f"/api/v1/referrals/{fbi['id']}/recall",
        json={"reason": f"{who} asked us to stop"},
        headers=STAFF,
    )
    assert recalled.status_code == 200, recalled.text
    state = await refer(
        client,
        "state",
        control_number=control_number,
        purpose="visa review",
        nature=f"contact details of {who}",
    )
    agency = await issue_key(client, "state")
    base = f"/api/v1/agency/referrals/{state['id']}"
    answers = [
        (f"{base}/questions", {"text": f"Is {person.passport} the passport of {who}?"}),
        (f"{base}/response", {"text": f"We reached {person.email} about: {person.phrase}"}),
        (f"{base}/disposition", {"disposition": f"Visa reissued to {who}."}),
    ]
    for url, body in answers:
        response = await client.post(url, json=body, headers=agency)
        assert response.status_code in (200, 201), response.text
    decision = await client.post(
        "/api/v1/routing/decisions",
        json={
            "control_number": control_number,
            "chosen_recipient_id": "state",
            "reason": f"{who} has a visa problem",
        },
        headers=STAFF,
    )
    assert decision.status_code == 201, decision.text
    return Seeded(control_number, [fbi["id"], state["id"]])


def archive_request(control_number: str) -> CloudEvent:
    body = CaseArchiveRequestedV1(control_number=control_number, requested_at=utcnow())
    return make_event("ombuds/cases", CASE_ARCHIVE_REQUESTED_V1, body, control_number)


async def store_cleared(sessions: Sessions, control_number: str) -> list[StoreClearedV1]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRecord)
            .where(
                OutboxRecord.message_key == control_number,
                OutboxRecord.event_type == STORE_CLEARED_V1,
            )
            .order_by(OutboxRecord.id)
        )
        found = []
        for row in rows:
            assert row.topic == REFERRALS_TOPIC
            event = CloudEvent.model_validate_json(row.payload)
            found.append(StoreClearedV1.model_validate(event.data))
    return found


async def test_purge_leaves_nothing_of_the_person_and_answers_once(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    person = Person.fresh("Dariusz", "Okonkwo")
    bystander = Person.fresh("Lucia", "Ferreira")
    purged = await seed(client, sessions, person)
    kept = await seed(client, sessions, bystander)
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    before = await traces(engine, person.needles)
    # The scan finds every detail before the purge, so its silence afterwards means something.
    assert {needle for _table, _column, needle in before} == set(person.needles)
    assert tables(before) == {"referrals", "referral_messages", "routing_decisions", "outbox"}
    bystander_before = await traces(engine, bystander.needles)

    purger = RetentionPurger(sessions)
    request = archive_request(purged.control_number)
    await purger.handle(request)
    await purger.handle(request)  # redelivered: the inbox drops it

    assert await traces(engine, person.needles) == set()
    assert await traces(engine, bystander.needles) == bystander_before
    [cleared] = await store_cleared(sessions, purged.control_number)
    assert cleared.service == "referrals"
    assert cleared.manifest == {
        "referrals": 2,
        "referral_messages": 3,
        "routing_decisions": 1,
        # created x2, delivered, outbound (keyed by the agency), recalled, question,
        # response, disposition.
        "outbox": 8,
    }
    async with sessions() as session:
        referrals = list(
            await session.scalars(
                select(Referral).where(Referral.control_number == purged.control_number)
            )
        )
        deliveries = list(
            await session.scalars(
                select(ReferralDelivery).where(
                    ReferralDelivery.referral_id.in_(purged.referral_ids)
                )
            )
        )
        outbound = list(
            await session.scalars(
                select(OutboxRecord.payload).where(OutboxRecord.event_type == REFERRAL_OUTBOUND_V1)
            )
        )
    # What the disclosure accounting may need stays: who, when, what became of it.
    assert sorted((r.recipient_id, r.status) for r in referrals) == [
        ("fbi", "recalled"),
        ("state", "disposition_received"),
    ]
    assert all(r.delivered_at is not None for r in referrals if r.recipient_id == "fbi")
    assert [(d.channel, d.action) for d in deliveries] == [("kafka", "referral")]
    assert any(kept.control_number in payload for payload in outbound)


async def test_an_unknown_case_and_a_repeat_request_remove_nothing(sessions: Sessions) -> None:
    unknown = new_control_number()
    purger = RetentionPurger(sessions)
    await purger.handle(archive_request(unknown))
    await purger.handle(archive_request(unknown))
    first, second = await store_cleared(sessions, unknown)
    assert first.control_number == unknown
    assert set(first.manifest.values()) == {0}
    assert set(second.manifest.values()) == {0}
