"""`GET /api/v1/audit`: the auditor's search over the audit trail, newest first. Read only:
no route edits or deletes an audit record."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ombuds_cases.audit import store
from ombuds_cases.audit.dependencies import Action, AuditDep, Outcome
from ombuds_cases.audit.schemas import AuditPage, AuditRecordView
from ombuds_cases.staff.auth import permitted
from ombuds_cases.staff.policy import StaffActor
from ombuds_shared.http import ServiceError, SessionFactoryDep

# Only the auditors (privacy and security officers) hold audit.search; a refusal is recorded
# as "denied" by `permitted`.
router = APIRouter(prefix="/api/v1", tags=["audit"])
AuditSearcher = Annotated[StaffActor, Depends(permitted("audit.search"))]


class TimeRangeError(ServiceError):
    status_code = 422
    code = "invalid_time_range"


@router.get("/audit", response_model=AuditPage)
async def search_audit(
    auditor: AuditSearcher,  # first: it names the caller before AuditDep reads who that is
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
