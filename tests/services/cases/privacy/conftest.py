"""Privacy fixtures: a person with two cases, someone else with a similar name, and a request."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ..conftest import OpenCase

PASSPORT = "X-1234 5678"


@dataclass(frozen=True)
class Person:
    email: str
    first: str
    last: str
    cases: tuple[str, str]
    # Another person, with a similar name and their own email.
    other_case: str


def ok(response: httpx.Response, expected: int) -> Any:
    assert response.status_code == expected, response.text
    return response.json() if response.content else None


@pytest.fixture
async def person(client: httpx.AsyncClient, open_case: OpenCase) -> Person:
    """Lucía Gómez's two cases (one with a passport, a note naming a neighbour, findings)."""
    tag = uuid.uuid4().hex[:8]
    email = f"lucia.{tag}@example.org"
    contact = {"first_name": "Lucía", "last_name": f"Gómez{tag}", "email": email}
    first = await open_case(
        contact={**contact, "phone": "+1 (619) 555-0142"},
        category="trusted_traveler",
        identity={"passport_number": PASSPORT, "passport_country": "MX"},
        incident={"narrative": "My Global Entry card was held at the port."},
    )
    second = await open_case(
        contact=contact, incident={"narrative": "The officer at the booth was rude to me."}
    )
    other = await open_case(
        contact={
            "first_name": "Lucia",
            "last_name": f"Gomez{tag}",
            "email": f"l.gomez.{tag}@example.net",
        },
        incident={"narrative": "Someone else's complaint about parking."},
    )
    note = {"stage": "review", "text": "Spoke to her neighbour Roberto Díaz, who saw it."}
    ok(await client.post(f"/api/v1/cases/{first}/notes", json=note), 201)
    findings = {"findings": "The card was held in error."}
    ok(await client.put(f"/api/v1/cases/{second}/findings", json=findings), 200)
    shared = {
        "method": "phone",
        "nature": "name and narrative",
        "purpose": "to confirm the traveller's identity",
        "recipient_name": "Department of State",
        "recipient_address": "2201 C Street NW, Washington, DC 20520",
    }
    ok(await client.post(f"/api/v1/cases/{first}/disclosures", json=shared), 201)
    return Person(email, "Lucía", f"Gómez{tag}", (first, second), other)


NewRequest = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def new_request(client: httpx.AsyncClient) -> NewRequest:
    async def created(**overrides: Any) -> dict[str, Any]:
        body = {
            "kind": "privacy_act",
            "requester_name": "Lucía Gómez",
            "requester_email": "lucia@example.org",
            "requester_address": "12 Calle Uno, Chula Vista, CA 91910",
            "identity_verification": "DHS Form 590 signed under penalty of perjury",
            "description": "Every record you hold about me.",
            "received_on": "2026-11-20",
            **overrides,
        }
        result: dict[str, Any] = ok(await client.post("/api/v1/privacy/requests", json=body), 201)
        return result

    return created
