"""Helpers for tests of the referrals service: the staff token, agency keys, referrals."""

from typing import Any

import httpx

from ombuds_referrals.config import DEVELOPMENT_STAFF_TOKEN
from ombuds_shared.control_numbers import new_control_number

STAFF = {"Authorization": f"Bearer {DEVELOPMENT_STAFF_TOKEN}"}


async def issue_key(client: httpx.AsyncClient, agency_id: str) -> dict[str, str]:
    """Authorization headers with a fresh API key of `agency_id`."""
    response = await client.post(f"/api/v1/admin/directory/{agency_id}/api-keys", headers=STAFF)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['api_key']}"}


async def refer(client: httpx.AsyncClient, recipient_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "control_number": new_control_number(),
        "recipient_id": recipient_id,
        "purpose": "investigation of an alleged civil rights violation",
        "nature": "complaint narrative and contact details",
        **fields,
    }
    response = await client.post("/api/v1/referrals", json=body, headers=STAFF)
    assert response.status_code == 201, response.text
    referral: dict[str, Any] = response.json()
    return referral
