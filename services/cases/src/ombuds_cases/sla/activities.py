"""Activities CaseLifecycle calls when a service-level clock or an information request runs out.

Each is applied once per case and key however often it is retried: the case row is locked
and the timeline is checked for the entry first, in the transaction that adds it.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from ombuds_cases.case import timeline
from ombuds_cases.case.actions import load
from ombuds_cases.case.records import TimelineEntry
from ombuds_cases.models import Case
from ombuds_shared.contracts import (
    RECORD_INFORMATION_OVERDUE_ACTIVITY,
    RECORD_SLA_BREACH_ACTIVITY,
    RecordInformationOverdue,
    RecordSlaBreach,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import CASE_SLA_BREACHED_V1, CaseSlaBreachedV1

SLA_BREACHED = "sla_breached"
INFORMATION_OVERDUE = "information_overdue"
NO_REPLY = "no reply to the request for information"


async def _already(session: AsyncSession, case: Case, kind: str, field: str, value: str) -> bool:
    entries = await session.scalars(
        select(TimelineEntry.data).where(
            TimelineEntry.case_id == case.id, TimelineEntry.kind == kind
        )
    )
    return any((data or {}).get(field) == value for data in entries)


class SlaActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    @activity.defn(name=RECORD_SLA_BREACH_ACTIVITY)
    async def record_sla_breach(self, request: RecordSlaBreach) -> bool:
        """A timeline entry and `case.sla-breached`; True if this call recorded them."""
        async with UnitOfWork(self._session_factory) as uow:
            case = await load(uow.session, request.control_number)
            if await _already(uow.session, case, SLA_BREACHED, "key", request.key):
                return False
            due = request.due_at.strftime("%Y-%m-%d %H:%M UTC")
            timeline.record(
                uow.session,
                case,
                SLA_BREACHED,
                f"SLA breached: {request.clock} was due {due} "
                f"({request.business_days} business days)",
                actor="workflow",
                data={
                    "clock": request.clock,
                    "key": request.key,
                    "due_at": request.due_at.isoformat(),
                    "business_days": request.business_days,
                },
            )
            timeline.announce(
                uow.session,
                case,
                CASE_SLA_BREACHED_V1,
                CaseSlaBreachedV1(
                    control_number=case.control_number,
                    clock=request.clock,
                    key=request.key,
                    due_at=request.due_at,
                    breached_at=request.breached_at,
                ),
            )
            await uow.commit()
            return True

    @activity.defn(name=RECORD_INFORMATION_OVERDUE_ACTIVITY)
    async def record_information_overdue(self, request: RecordInformationOverdue) -> bool:
        """A timeline entry saying the submitter did not reply in time; True if this call did."""
        async with UnitOfWork(self._session_factory) as uow:
            case = await load(uow.session, request.control_number)
            found = await _already(
                uow.session, case, INFORMATION_OVERDUE, "request_id", request.request_id
            )
            if found:
                return False
            timeline.record(
                uow.session,
                case,
                INFORMATION_OVERDUE,
                f"{NO_REPLY} (due {request.due_at.strftime('%Y-%m-%d %H:%M UTC')}); "
                "the service-level clocks run again",
                actor="workflow",
                data={"request_id": request.request_id, "due_at": request.due_at.isoformat()},
            )
            await uow.commit()
            return True
