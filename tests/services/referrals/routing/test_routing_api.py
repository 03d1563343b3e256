"""The routing API over HTTP on SQLite and PostgreSQL: each seeded rule suggested from an
English and a Spanish narrative, priority between rules, no match, the admin API, and the
staff's decisions recorded as accepted or overridden."""

import uuid
from typing import Any

import httpx
import pytest

from ombuds_shared.control_numbers import new_control_number
from support.referrals import STAFF

SUGGEST = "/api/v1/routing/suggestion"
RULES = "/api/v1/admin/routing-rules"
DECISIONS = "/api/v1/routing/decisions"


async def suggestion(
    client: httpx.AsyncClient, kind: str, text: str, category: str | None = "general"
) -> dict[str, Any]:
    response = await client.post(
        SUGGEST, json={"kind": kind, "category": category, "text": text}, headers=STAFF
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# (kind, English text, Spanish text, the seeded rule, the recipient it names)
SEEDED = [
    (
        "complaint",
        "The officer at the port of entry in Nogales kept me waiting for six hours.",
        "El oficial en el puerto de entrada de Nogales me hizo esperar seis horas.",
        "port-of-entry",
        "field-operations",
    ),
    (
        "complaint",
        "I was singled out because of my religion and it felt like racial profiling.",
        "Me señalaron por mi religión; fue discriminación y perfil racial.",
        "civil-liberties",
        "crcl",
    ),
    (
        "complaint",
        "An agent asked me for a bribe to let my truck through.",
        "Un agente me pidió un soborno para dejar pasar mi camión.",
        "employee-misconduct",
        "professional-responsibility",
    ),
    (
        "tip",
        "A warehouse on Main Street is used for smuggling cigarettes.",
        "Una bodega en la calle Main se usa para contrabando de cigarrillos.",
        "tip-violation-or-threat",
        "ice-hsi-tip-line",
    ),
    (
        "question",
        "How do I renew my passport before travelling?",
        "¿Cómo renuevo mi PASAPORTE antes de viajar?",
        "visa-passport",
        "state",
    ),
    (
        "tip",
        "Someone at the shelter said he will bring a bomb to the crossing on Friday.",
        "Alguien dijo que traerá una BOMBA al cruce el viernes.",
        "credible-threat",
        "fbi",
    ),
]


@pytest.mark.parametrize(("kind", "english", "spanish", "rule_id", "recipient"), SEEDED)
async def test_each_seeded_rule_is_suggested_in_english_and_spanish(
    client: httpx.AsyncClient,
    kind: str,
    english: str,
    spanish: str,
    rule_id: str,
    recipient: str,
) -> None:
    for text in (english, spanish):
        body = await suggestion(client, kind, text)
        assert body["matched"] is True, text
        assert body["rule"]["id"] == rule_id, text
        assert body["recipient_id"] == recipient
        assert body["recipient_name"]
        assert f"rule {rule_id!r}" in body["reason"]
        assert "the text mentions" in body["reason"]


async def test_the_higher_priority_rule_wins_when_several_match(
    client: httpx.AsyncClient,
) -> None:
    # Port of entry (60), misconduct (40) and a threat (10) all match: the threat wins.
    text = "At the port of entry an officer took a bribe and said he would kill me."
    body = await suggestion(client, "complaint", text)
    assert body["rule"]["id"] == "credible-threat"
    assert "'kill'" in body["reason"]
    # Without the threat, misconduct outranks the port of entry.
    body = await suggestion(client, "complaint", "At the port of entry an officer took a bribe.")
    assert body["rule"]["id"] == "employee-misconduct"


async def test_kind_restricts_a_rule(client: httpx.AsyncClient) -> None:
    # The port-of-entry rule is for complaints; a compliment about the port is not routed.
    body = await suggestion(client, "compliment", "The port of entry staff were lovely.")
    assert body == {
        "matched": False,
        "recipient_id": None,
        "recipient_name": None,
        "rule": None,
        "reason": "no routing rule matched: choose the office or agency by hand",
    }


async def test_nothing_matches_a_plain_comment(client: httpx.AsyncClient) -> None:
    body = await suggestion(client, "comment", "Your website is easy to use.", category=None)
    assert body["matched"] is False
    assert body["rule"] is None


async def test_a_bad_case_names_the_field_and_the_rule(client: httpx.AsyncClient) -> None:
    response = await client.post(SUGGEST, json={"kind": "rant", "text": "x"}, headers=STAFF)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["field"] == "kind"
    assert errors[0]["rule"] == "literal_error"
    unauthorized = await client.post(SUGGEST, json={"kind": "tip"})
    assert unauthorized.status_code == 401


async def test_rules_are_managed_and_take_effect_at_once(client: httpx.AsyncClient) -> None:
    rule_id = f"trade-{uuid.uuid4().hex[:8]}"
    body = {
        "id": rule_id,
        "priority": 5,
        "description": "trade questions go to the Office of Trade",
        "kinds": ["question"],
        "categories": ["trade"],
        "keywords": ["tariff", "arancel"],
        "recipient_id": "trade",
    }
    created = await client.post(RULES, json=body, headers=STAFF)
    assert created.status_code == 201, created.text
    assert (await client.post(RULES, json=body, headers=STAFF)).status_code == 409

    found = await suggestion(client, "question", "¿Qué arancel pago?", category="trade")
    assert found["rule"]["id"] == rule_id
    assert "category is 'trade'" in found["reason"]
    other_category = await suggestion(client, "question", "What tariff?", category="general")
    assert other_category["matched"] is False

    changed = await client.patch(
        f"{RULES}/{rule_id}", json={"recipient_id": "privacy"}, headers=STAFF
    )
    assert changed.status_code == 200
    assert (await suggestion(client, "question", "tariff", category="trade"))[
        "recipient_id"
    ] == "privacy"

    disabled = await client.patch(f"{RULES}/{rule_id}", json={"disabled": True}, headers=STAFF)
    assert disabled.json()["disabled"] is True
    assert (await suggestion(client, "question", "tariff", "trade"))["matched"] is False
    listed = await client.get(RULES, headers=STAFF)
    assert rule_id not in {rule["id"] for rule in listed.json()}
    listed = await client.get(RULES, params={"include_disabled": "true"}, headers=STAFF)
    assert rule_id in {rule["id"] for rule in listed.json()}

    deleted = await client.delete(f"{RULES}/{rule_id}", headers=STAFF)
    assert deleted.status_code == 204
    assert (await client.delete(f"{RULES}/{rule_id}", headers=STAFF)).status_code == 404


async def test_the_seeded_rules_are_listed_in_priority_order(client: httpx.AsyncClient) -> None:
    rules = (await client.get(RULES, headers=STAFF)).json()
    seeded = [rule["id"] for rule in rules if rule["id"] in {row[3] for row in SEEDED}]
    assert seeded == [
        "credible-threat",
        "visa-passport",
        "civil-liberties",
        "employee-misconduct",
        "tip-violation-or-threat",
        "port-of-entry",
    ]


async def test_a_rule_must_name_an_enabled_recipient(client: httpx.AsyncClient) -> None:
    body = {
        "id": f"nowhere-{uuid.uuid4().hex[:8]}",
        "priority": 1,
        "description": "to nobody",
        "recipient_id": "no-such-office",
    }
    response = await client.post(RULES, json=body, headers=STAFF)
    assert response.status_code == 422
    assert "recipient_id" in response.json()["detail"]
    nulled = await client.patch(f"{RULES}/port-of-entry", json={"keywords": None}, headers=STAFF)
    assert nulled.status_code == 422
    assert "keywords" in nulled.json()["detail"]


async def test_staff_decisions_are_recorded_as_accepted_or_overridden(
    client: httpx.AsyncClient,
) -> None:
    control_number = new_control_number()
    accepted = await client.post(
        DECISIONS,
        json={
            "control_number": control_number,
            "suggested_rule_id": "civil-liberties",
            "chosen_recipient_id": "crcl",
        },
        headers=STAFF,
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["accepted"] is True
    assert accepted.json()["suggested_recipient_id"] == "crcl"

    overridden = await client.post(
        DECISIONS,
        json={
            "control_number": control_number,
            "suggested_rule_id": "port-of-entry",
            "chosen_recipient_id": "oig",
            "reason": "the complaint is about a supervisor's fraud",
        },
        headers=STAFF,
    )
    assert overridden.json()["accepted"] is False
    assert overridden.json()["suggested_recipient_id"] == "field-operations"

    no_suggestion = await client.post(
        DECISIONS,
        json={"control_number": control_number, "chosen_recipient_id": "trade"},
        headers=STAFF,
    )
    assert no_suggestion.json()["accepted"] is False

    listed = await client.get(DECISIONS, params={"control_number": control_number}, headers=STAFF)
    assert [d["chosen_recipient_id"] for d in listed.json()] == ["crcl", "oig", "trade"]
    bad = await client.get(DECISIONS, params={"control_number": "nope"}, headers=STAFF)
    assert bad.status_code == 422
    unknown = await client.post(
        DECISIONS,
        json={"control_number": control_number, "chosen_recipient_id": "no-such-office"},
        headers=STAFF,
    )
    assert unknown.status_code == 404
