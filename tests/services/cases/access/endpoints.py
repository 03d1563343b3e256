"""The cases endpoints in one table: path, the roles that may use it, the success status."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ombuds_cases.staff.policy import Role

from .conftest import DEVELOPMENT, FIELD, RouteCase, ok

R = Role
READERS = frozenset(
    {R.INTAKE_SPECIALIST, R.CASE_OFFICER, R.SUPERVISOR, R.RECORDS_OFFICER, R.PRIVACY_OFFICER}
)
NOTERS = frozenset({R.INTAKE_SPECIALIST, R.CASE_OFFICER, R.SUPERVISOR})
TRIAGERS = frozenset({R.INTAKE_SPECIALIST, R.SUPERVISOR})
WORKERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR})
SUPERVISORS = frozenset({R.SUPERVISOR})
AUDITORS = frozenset({R.PRIVACY_OFFICER, R.SECURITY_OFFICER})
REVEALERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR, R.PRIVACY_OFFICER})
EXPORTERS = frozenset({R.SUPERVISOR, R.RECORDS_OFFICER, R.PRIVACY_OFFICER})

Body = Callable[[str], dict[str, Any]]  # given another Field Operations case's number


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {n}: the control number of a Field Operations case in status assigned
    allowed: frozenset[Role]
    success: int
    body: Body | None = None
    # Done with the development token first, to bring the case where the action applies.
    setup: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


CLOSED = (("close", {"reason": "answered", "disposition": "information_provided"}),)

ENDPOINTS: dict[str, Endpoint] = {
    "list": Endpoint("GET", "/api/v1/cases", READERS, 200),
    "export": Endpoint("GET", "/api/v1/cases/export", EXPORTERS, 200),
    "saved views": Endpoint("GET", "/api/v1/views", READERS, 200),
    "save a view": Endpoint(
        "POST",
        "/api/v1/views",
        READERS,
        201,
        lambda _: {"name": f"view {uuid.uuid4().hex}", "query": {"status": "assigned"}},
    ),
    "read": Endpoint("GET", "/api/v1/cases/{n}", READERS, 200),
    "timeline": Endpoint("GET", "/api/v1/cases/{n}/timeline", READERS, 200),
    # The test app has no Temporal: a permitted reader gets the 503 "levels unknown".
    "service_levels": Endpoint("GET", "/api/v1/cases/{n}/service-levels", READERS, 503),
    "note": Endpoint(
        "POST", "/api/v1/cases/{n}/notes", NOTERS, 201, lambda _: {"stage": "review", "text": "x"}
    ),
    "assign": Endpoint(
        "POST",
        "/api/v1/cases/{n}/assignment",
        SUPERVISORS,
        200,
        lambda _: {"office": "field_operations", "assignee": "officer.kim"},
    ),
    "priority": Endpoint(
        "POST", "/api/v1/cases/{n}/priority", TRIAGERS, 200, lambda _: {"priority": "high"}
    ),
    "tags": Endpoint("PUT", "/api/v1/cases/{n}/tags", WORKERS, 200, lambda _: {"tags": ["port"]}),
    "link": Endpoint(
        "POST",
        "/api/v1/cases/{n}/links",
        WORKERS,
        201,
        lambda other: {"control_number": other, "relation": "related_to"},
    ),
    "source pointer": Endpoint(
        "POST",
        "/api/v1/cases/{n}/source-pointers",
        WORKERS,
        201,
        lambda _: {"system": "TECS", "reference_id": "R-1"},
    ),
    "findings": Endpoint(
        "PUT", "/api/v1/cases/{n}/findings", WORKERS, 200, lambda _: {"findings": "Long wait."}
    ),
    "disposition": Endpoint(
        "PUT",
        "/api/v1/cases/{n}/disposition",
        WORKERS,
        200,
        lambda _: {"disposition": "unsubstantiated"},
    ),
    "status": Endpoint(
        "POST",
        "/api/v1/cases/{n}/status",
        WORKERS,
        200,
        lambda _: {"status": "awaiting_information", "reason": "asked for the receipt"},
    ),
    "information request": Endpoint(
        "POST",
        "/api/v1/cases/{n}/information-requests",
        WORKERS,
        201,
        lambda _: {"question": "Which lane were you in?"},
    ),
    "reveal": Endpoint(
        "POST",
        "/api/v1/cases/{n}/reveal",
        REVEALERS,
        200,
        lambda _: {"fields": ["identity.date_of_birth"]},
    ),
    "close": Endpoint(
        "POST",
        "/api/v1/cases/{n}/close",
        WORKERS,
        200,
        lambda _: {"reason": "answered", "disposition": "information_provided"},
    ),
    "reopen": Endpoint(
        "POST",
        "/api/v1/cases/{n}/reopen",
        SUPERVISORS,
        200,
        lambda _: {"reason": "new facts"},
        setup=CLOSED,
    ),
    "withdraw": Endpoint(
        "POST",
        "/api/v1/cases/{n}/withdraw",
        WORKERS,
        200,
        lambda _: {"reason": "the caller withdrew"},
    ),
    "audit search": Endpoint("GET", "/api/v1/audit", AUDITORS, 200),
}


async def prepared_case(client: httpx.AsyncClient, case_in: RouteCase, endpoint: Endpoint) -> str:
    number = await case_in(FIELD)
    for action, body in endpoint.setup:
        ok(
            await client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=DEVELOPMENT),
            200,
        )
    return number


async def call(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    number: str,
    other: str,
    headers: dict[str, str],
) -> httpx.Response:
    return await client.request(
        endpoint.method,
        endpoint.path.format(n=number),
        json=endpoint.body(other) if endpoint.body else None,
        headers=headers,
    )
