"""The staff UI's server-side calls to the referrals admin API, as the signed-in member.

A UI composition call, not a data read: the referrals service owns the directory and decides
again (from the member's signed assertion) whether they may. The cases service never reads the
referrals tables.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request

from ombuds_cases.staff.assertions import REFERRALS_AUDIENCE, issue
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.db import utcnow

DIRECTORY = "/api/v1/admin/directory"


UNREACHABLE = (
    "The referrals service cannot be reached right now, so the directory cannot be shown or "
    "changed. Nothing was changed; try again in a few minutes."
)
KEYS_MISMATCHED = (
    "The referrals service did not accept this page's signed staff assertion, so the "
    "directory cannot be shown or changed: REFERRALS_STAFF_ASSERTION_PUBLIC_KEY must be the "
    "public half of CASES_STAFF_ASSERTION_KEY. Nothing was changed."
)


class ReferralsUnavailable(Exception):
    """The referrals service did not answer, failed, or refused our assertion: nothing is
    known to have changed. `message` says so to the member."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(cause)
        self.message = message


@dataclass
class ReferralsRefused(Exception):
    """The referrals service refused the request (4xx), with its reason and field errors."""

    status_code: int
    detail: str
    # (field, message) pairs from a 422 answer.
    errors: list[tuple[str, str]] = field(default_factory=list)


def _refusal(response: httpx.Response) -> ReferralsRefused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = str(body.get("detail") or f"refused with HTTP {response.status_code}")
    errors = [
        (str(item.get("field", "form")), str(item.get("message", "invalid value")))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    return ReferralsRefused(response.status_code, detail, errors)


class ReferralsAdmin:
    """The directory endpoints of the referrals admin API, called with a fresh assertion."""

    def __init__(self, request: Request, actor: StaffActor) -> None:
        settings = request.app.state.settings
        token = issue(
            settings.staff_assertion_key.get_secret_value(),
            actor,
            REFERRALS_AUDIENCE,
            utcnow(),
            timedelta(minutes=settings.staff_assertion_minutes),
        )
        self._base_url: str = settings.referrals_url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout: float = settings.referrals_timeout_seconds
        # Tests put the referrals app here (an ASGI transport); otherwise plain HTTP.
        self._transport: httpx.AsyncBaseTransport | None = getattr(
            request.app.state, "referrals_transport", None
        )

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url,
                headers=self._headers,
                timeout=self._timeout,
                transport=self._transport,
            ) as client:
                response = await client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise ReferralsUnavailable(UNREACHABLE, repr(error)) from error
        if response.status_code >= 500:
            raise ReferralsUnavailable(UNREACHABLE, f"HTTP {response.status_code}")
        if response.status_code == 401:
            # Not the member's fault: the two services' assertion keys do not match.
            raise ReferralsUnavailable(KEYS_MISMATCHED, response.text)
        if response.status_code >= 400:
            raise _refusal(response)
        return response.json()

    async def entries(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._call("GET", f"{DIRECTORY}?include_disabled=true")
        return found

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self._call("POST", DIRECTORY, body)
        return created

    async def update(self, entry_id: str, body: dict[str, Any]) -> dict[str, Any]:
        changed: dict[str, Any] = await self._call("PATCH", _entry(entry_id), body)
        return changed

    async def disable(self, entry_id: str) -> dict[str, Any]:
        disabled: dict[str, Any] = await self._call("POST", f"{_entry(entry_id)}/disable")
        return disabled

    async def issue_api_key(self, entry_id: str) -> dict[str, Any]:
        issued: dict[str, Any] = await self._call("POST", f"{_entry(entry_id)}/api-keys")
        return issued


def _entry(entry_id: str) -> str:
    return f"{DIRECTORY}/{quote(entry_id, safe='')}"
