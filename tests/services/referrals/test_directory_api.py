"""The directory admin API: the PIA's offices and agencies seeded, entries created, changed,
disabled, and API keys issued and rotated."""

import uuid
from typing import Any

import httpx

from support.referrals import STAFF


def entry(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": f"agency-{uuid.uuid4().hex[:8]}",
        "kind": "outside_agency",
        "name": "Test Agency",
        "postal_address": "1 Test Street, Washington, DC 20001",
        "kafka_enabled": True,
        "acknowledgement_business_days": 3,
        "response_business_days": 20,
        **overrides,
    }
    return body


async def test_the_pia_directory_is_seeded(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/directory", headers=STAFF)
    assert response.status_code == 200
    seeded = {e["id"]: e for e in response.json()}
    assert {
        "field-operations",
        "border-patrol",
        "trade",
        "professional-responsibility",
        "privacy",
        "crcl",
        "oig",
        "ice-hsi-tip-line",
        "dhs-trip",
        "state",
        "fbi",
    } <= set(seeded)
    assert seeded["crcl"]["kind"] == "dhs_component"
    assert seeded["fbi"]["kind"] == "outside_agency"
    assert seeded["trade"]["kind"] == "internal_office"
    assert seeded["crcl"]["channels"] == ["kafka"]
    assert "webhook_secret" not in seeded["crcl"]


async def test_the_admin_api_needs_the_staff_token(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/admin/directory", headers={"Authorization": "Bearer wrong"}
    )
    assert response.status_code == 401
    assert (await client.post("/api/v1/admin/directory", json=entry())).status_code == 401


async def test_create_change_and_disable_an_entry(client: httpx.AsyncClient) -> None:
    body = entry(webhook_url="https://agency.example/hooks", webhook_secret="s" * 32)
    created = await client.post("/api/v1/admin/directory", json=body, headers=STAFF)
    assert created.status_code == 201, created.text
    assert created.json()["channels"] == ["kafka", "webhook"]
    assert created.json()["webhook_secret_set"] is True
    assert "webhook_secret" not in created.json()

    again = await client.post("/api/v1/admin/directory", json=body, headers=STAFF)
    assert again.status_code == 409

    changed = await client.patch(
        f"/api/v1/admin/directory/{body['id']}",
        json={"email": "referrals@agency.example", "response_business_days": 10},
        headers=STAFF,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["channels"] == ["kafka", "webhook", "email"]
    assert changed.json()["response_business_days"] == 10

    disabled = await client.post(f"/api/v1/admin/directory/{body['id']}/disable", headers=STAFF)
    assert disabled.json()["disabled"] is True
    listed = await client.get("/api/v1/admin/directory", headers=STAFF)
    assert body["id"] not in {e["id"] for e in listed.json()}
    everything = await client.get(
        "/api/v1/admin/directory", params={"include_disabled": "true"}, headers=STAFF
    )
    assert body["id"] in {e["id"] for e in everything.json()}


async def test_invalid_entries_name_the_field_and_the_rule(client: httpx.AsyncClient) -> None:
    no_secret = await client.post(
        "/api/v1/admin/directory",
        json=entry(webhook_url="https://agency.example/hooks"),
        headers=STAFF,
    )
    assert no_secret.status_code == 422
    assert no_secret.json()["detail"].startswith("webhook_secret:")

    no_channel = await client.post(
        "/api/v1/admin/directory", json=entry(kafka_enabled=False), headers=STAFF
    )
    assert no_channel.status_code == 422
    assert no_channel.json()["detail"].startswith("channels:")

    bad_days = await client.post(
        "/api/v1/admin/directory", json=entry(acknowledgement_business_days=0), headers=STAFF
    )
    assert bad_days.status_code == 422
    assert bad_days.json()["errors"][0]["field"] == "acknowledgement_business_days"
    assert bad_days.json()["errors"][0]["rule"] == "greater_than_equal"

    unknown = await client.post("/api/v1/admin/directory", json=entry(colour="blue"), headers=STAFF)
    assert unknown.json()["errors"][0] == {
        "field": "colour",
        "rule": "extra_forbidden",
        "message": "Extra inputs are not permitted",
    }

    missing = await client.patch(
        "/api/v1/admin/directory/nobody", json={"name": "x"}, headers=STAFF
    )
    assert missing.status_code == 404


async def test_a_rotated_key_replaces_the_old_one(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/v1/admin/directory/oig/api-keys", headers=STAFF)
    second = await client.post("/api/v1/admin/directory/oig/api-keys", headers=STAFF)
    assert first.status_code == second.status_code == 201
    old_key, new_key = first.json()["api_key"], second.json()["api_key"]
    assert old_key.startswith(f"omb_{first.json()['prefix']}_")
    old = await client.get(
        "/api/v1/agency/referrals", headers={"Authorization": f"Bearer {old_key}"}
    )
    new = await client.get(
        "/api/v1/agency/referrals", headers={"Authorization": f"Bearer {new_key}"}
    )
    assert old.status_code == 401
    assert new.status_code == 200
