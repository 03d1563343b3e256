"""Starts a closed case's Retention workflow and cancels it when the case is reopened.

Called after the closing (or reopening) transaction has committed, like the signal outbox:
a start repeated for the same closure is harmless, and a new closure after a reopen starts
a new run under the same id (`ALLOW_DUPLICATE`, since the cancelled run has completed).
"""

import contextlib
import logging
from datetime import datetime

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ombuds_shared.contracts import (
    CLOSE_CASE_SIGNAL,
    REOPEN_CASE_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    WORKFLOWS_TASK_QUEUE,
)
from ombuds_shared.retention_contracts import (
    CANCEL_RETENTION_SIGNAL,
    DEFAULT_RETENTION_YEARS,
    RETENTION_WORKFLOW,
    CancelRetention,
    RetentionInput,
    retention_workflow_id,
)

log = logging.getLogger(__name__)


async def start_retention(
    client: Client,
    control_number: str,
    closed_at: datetime,
    period_years: int = DEFAULT_RETENTION_YEARS,
    task_queue: str = WORKFLOWS_TASK_QUEUE,
) -> bool:
    """Start the case's Retention run; False if one is already running (a repeated start)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            RETENTION_WORKFLOW,
            RetentionInput(
                control_number=control_number, closed_at=closed_at, period_years=period_years
            ),
            id=retention_workflow_id(control_number),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        return True
    return False


async def cancel_retention(client: Client, control_number: str, reason: str = "reopened") -> bool:
    """Tell the case's running Retention to end without purging; False if none is running."""
    handle = client.get_workflow_handle(retention_workflow_id(control_number))
    try:
        await handle.signal(CANCEL_RETENTION_SIGNAL, CancelRetention(reason=reason))
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        log.info("no running retention for %s to cancel", control_number)
        return False
    return True


async def follow_lifecycle_signal(
    client: Client,
    control_number: str,
    signal: str,
    decided_at: datetime,
    period_years: int = DEFAULT_RETENTION_YEARS,
) -> None:
    """Start or cancel Retention for a staged CaseLifecycle signal; both are repeat-safe.

    A close (also a redirection, which closes) or a withdrawal starts the five-year clock at
    the moment the change was decided; a reopen cancels it.
    """
    if signal in (CLOSE_CASE_SIGNAL, WITHDRAW_CASE_SIGNAL):
        await start_retention(client, control_number, decided_at, period_years)
    elif signal == REOPEN_CASE_SIGNAL:
        await cancel_retention(client, control_number)
