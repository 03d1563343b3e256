"""A case with everything a person can leave in the cases database, seeded through the real
submission handler, the staff API and the self-service handler; and a scan of every table."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.lifecycle import SubmissionHandler
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.events import (
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_RECEIVED_V2,
    SUBMISSION_SUPPLEMENTED_V1,
    EventBody,
    SubmissionCorrectedV1,
    SubmissionSupplementedV1,
    make_event,
)
from ombuds_shared.temporal import TemporalConnection

from ..conftest import submission

SessionFactory = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """What one person wrote or was written about them; ASCII, so JSON escaping cannot hide it."""

    first_name: str
    last_name: str
    email: str
    new_email: str
    phone: str
    street: str
    narrative: str
    passport: str
    new_passport: str
    supplement: str
    note: str
    findings: str
    close_reason: str

    def needles(self) -> list[str]:
        return [
            self.first_name,
            self.last_name,
            self.email,
            self.new_email,
            self.phone,
            self.street,
            self.narrative,
            self.passport,
            self.new_passport,
            self.supplement,
            self.note,
            self.findings,
            self.close_reason,
        ]


ZOFIA = Person(
    first_name="Zofia",
    last_name="Kowalczyk",
    email="zofia.kowalczyk@example.net",
    new_email="zk.archer@example.net",
    phone="+1 619 555 0147",
    street="1427 Quillfeather Lane",
    narrative="Bartholomew's violin was taken",
    passport="ZK7788990",
    new_passport="ZK1122334",
    supplement="marmalade receipt attached",
    note="phoned back about the violin",
    findings="the trombone officer erred",
    close_reason="agreed by telephone with the submitter",
)
QUENTIN = Person(
    first_name="Quentin",
    last_name="Marlowe",
    email="quentin.marlowe@example.com",
    new_email="qm@example.com",
    phone="+1 212 555 0199",
    street="88 Pelican Court",
    narrative="the pelican kiosk was closed",
    passport="QM5566778",
    new_passport="QM9988776",
    supplement="pelican photo",
    note="pelican kiosk note",
    findings="pelican findings",
    close_reason="pelican closure",
)


class _StartsNothing:
    async def start_workflow(self, *args: Any, **kwargs: Any) -> None:
        return None


class _TemporalStub:
    """The lifecycle start succeeds without a server: the case is marked workflow_started."""

    @property
    def client(self) -> Any:
        return _StartsNothing()


def _event(event_type: str, body: EventBody, number: str) -> Any:
    return make_event("ombuds/intake", event_type, body, number)


async def seed_case(client: httpx.AsyncClient, sessions: SessionFactory, person: Person) -> str:
    """Submitted, noted, assigned, findings, referred, supplemented, corrected twice, disclosed
    by hand, closed: returns the control number."""
    number = new_control_number()
    received = submission(
        number,
        category="trusted_traveler",
        contact={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "street": person.street,
        },
        incident={"narrative": person.narrative, "port_of_entry": "San Ysidro"},
        identity={"passport_number": person.passport, "passport_country": "MX"},
        attachments=["att-original-1"],
    )
    opener = SubmissionHandler(sessions, cast(TemporalConnection, _TemporalStub()))
    await opener(_event(SUBMISSION_RECEIVED_V2, received, number))

    async def post(action: str, body: dict[str, Any], method: str = "POST") -> None:
        response = await client.request(method, f"/api/v1/cases/{number}/{action}", json=body)
        assert response.status_code < 300, (action, response.text)

    await post("notes", {"stage": "review", "text": f"{person.first_name} {person.note}"})
    await post("assignment", {"office": "border_patrol", "assignee": "officer.kim"})
    await post("tags", {"tags": [person.last_name.lower(), "port"]}, "PUT")
    await post("source-pointers", {"system": "TECS", "reference_id": f"T-{person.passport}"})

    self_service = SelfServiceHandler(sessions, signals=None)
    await self_service(
        _event(
            SUBMISSION_SUPPLEMENTED_V1,
            SubmissionSupplementedV1(
                control_number=number,
                supplement_id=uuid.uuid4().hex,
                text=f"{person.supplement}, call {person.phone}",
                attachments=["att-supplement-1"],
                supplemented_at=NOW,
            ),
            number,
        )
    )
    for field, previous, new in (
        ("contact.email", person.email, person.new_email),
        ("identity.passport_number", person.passport, person.new_passport),
    ):
        corrected = SubmissionCorrectedV1(
            control_number=number,
            amendment_id=uuid.uuid4().hex,
            field=field,
            previous_value=previous,
            new_value=new,
            reason=f"typo, says {person.first_name}",
            corrected_at=NOW,
        )
        await self_service(_event(SUBMISSION_CORRECTED_V1, corrected, number))

    await post("findings", {"findings": person.findings, "recommendations": person.street}, "PUT")
    await post("status", {"status": "referred", "reason": f"sent on for {person.last_name}"})
    await post(
        "disclosures",
        {
            "method": "phone",
            "nature": "complaint narrative and contact details",
            "purpose": "investigation",
            "recipient_name": "Federal Bureau of Investigation",
            "recipient_address": "935 Pennsylvania Avenue NW, Washington, DC 20535",
        },
    )
    await post("close", {"reason": person.close_reason, "disposition": "substantiated"})
    return number


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _scan(connection: Connection, needles: list[str]) -> set[tuple[str, str]]:
    # The database's own tables, reflected: a table no model maps is scanned too.
    tables = MetaData()
    tables.reflect(connection)
    folded = [needle.casefold() for needle in needles]
    hits: set[tuple[str, str]] = set()
    for table in tables.sorted_tables:
        for row in connection.execute(select(table)):
            for column, value in zip(table.columns, row, strict=True):
                if value is None:
                    continue
                text = _text(value).casefold()
                if any(needle in text for needle in folded):
                    hits.add((table.name, column.name))
    return hits


async def scan(engine: AsyncEngine, needles: list[str]) -> set[tuple[str, str]]:
    """Every (table, column) of the cases database where one of `needles` appears."""
    async with engine.connect() as connection:
        return await connection.run_sync(_scan, needles)
