"""`GET /api/v1/audit`: the auditor's search over the audit trail, newest first. Read only:
no route edits or deletes an audit record."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ombuds_cases.audit import store
from ombuds_cases.audit.dependencies import Action, AuditDep, Outcome
from ombuds_cases.audit.schemas import AuditPage, AuditRecordView
from ombuds_cases.router import require_staff
from ombuds_shared.http import ServiceError, SessionFactoryDep

# Staff roles come with staff accounts (issue 4 item 1): this router then also requires the
# auditor role (privacy officer / security officer), e.g. a `require_role("auditor")`
# dependency next to `require_staff`, and records a refusal with outcome "denied".
router = APIRouter(prefix="/api/v1", tags=["audit"], dependencies=[Depends(require_staff)])


class TimeRangeError(ServiceError):
    status_code = 422
    code = "invalid_time_range"


@router.get("/audit", response_model=AuditPage)
async def search_audit(
    session_factory: SessionFactoryDep,
    audit: AuditDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    record_id: Annotated[str | None, Query(max_length=200)] = None,
    record_type: Annotated[str | None, Query(max_length=64)] = None,
    action: Action | None = None,
    outcome: Outcome | None = None,
    since: Annotated[datetime | None, Query(description="inclusive, with a UTC offset")] = None,
    until: Annotated[datetime | None, Query(description="exclusive, with a UTC offset")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Audit records matching every filter given, newest first, one page at a time."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise TimeRangeError(f"{name}: give a UTC offset (e.g. 2026-11-23T04:00:00Z).")
    criteria = store.AuditFilter(actor, record_id, record_type, action, outcome, since, until)
    async with session_factory() as session:
        records, total = await store.search(session, criteria, limit, offset)
    # Searching the trail is itself an access worth recording: which filters were used.
    filters = [name for name, value in vars(criteria).items() if value is not None]
    await audit.record("search", "audit", "", fields=filters)
    return AuditPage(
        items=[AuditRecordView.model_validate(record) for record in records],
        total=total,
        limit=limit,
        offset=offset,
    )
