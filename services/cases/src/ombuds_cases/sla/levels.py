"""Asking a case's CaseLifecycle for its service levels (the `service_levels` query)."""

import asyncio
from datetime import datetime

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from ombuds_shared.contracts import SERVICE_LEVELS_QUERY, ServiceLevels, case_workflow_id
from ombuds_shared.db import utcnow
from ombuds_shared.http import UnavailableError

# A page or an API answer does not wait longer than this for the workflow engine.
QUERY_SECONDS = 3.0


def unknown(control_number: str, why: str) -> ServiceLevels:
    """What is said when the workflow is gone: no clocks, state `unknown`, and why."""
    return ServiceLevels(
        control_number=control_number, status="unknown", state="unknown", paused=False, detail=why
    )


async def query_service_levels(
    client: Client, control_number: str, at: datetime | None = None
) -> ServiceLevels:
    """The clocks as of `at` (now); `unknown` if the workflow is gone, 503 if none answers."""
    handle = client.get_workflow_handle(case_workflow_id(control_number))
    try:
        levels: ServiceLevels = await asyncio.wait_for(
            handle.query(SERVICE_LEVELS_QUERY, at or utcnow(), result_type=ServiceLevels),
            timeout=QUERY_SECONDS,
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return unknown(control_number, "the case's workflow is not running")
        raise UnavailableError(
            "service levels unknown: the workflow engine did not answer."
        ) from error
    except WorkflowQueryFailedError as error:
        # A case started before service levels existed has no such query handler.
        return unknown(control_number, f"not tracked for this case ({error.message})")
    except TimeoutError as error:
        raise UnavailableError(
            "service levels unknown: the workflow engine did not answer in time."
        ) from error
    return levels
