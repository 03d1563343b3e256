"""Starting and signalling Referral workflows, always after the change has committed.

A signal that cannot be sent is logged and dropped: the workflow reads the referral's row
before every reminder and escalation (and weekly while it waits without a deadline), so it
learns what the signal would have told it.
"""

import asyncio
import contextlib
import logging

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ombuds_referrals.directory.service import channels_of
from ombuds_referrals.models import DirectoryEntry, Referral
from ombuds_shared.contracts import (
    REFERRAL_WORKFLOW,
    START_REFERRAL_SIGNAL,
    WORKFLOWS_TASK_QUEUE,
    ReferralInput,
    case_workflow_id,
    referral_workflow_id,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import UnavailableError
from ombuds_shared.temporal import TemporalConnection

log = logging.getLogger(__name__)
SIGNAL_ATTEMPTS = 3


def referral_input(referral: Referral, recipient: DirectoryEntry) -> ReferralInput:
    return ReferralInput(
        referral_id=referral.id,
        control_number=referral.control_number,
        recipient_id=recipient.id,
        channels=channels_of(recipient),
        acknowledgement_business_days=recipient.acknowledgement_business_days,
        response_business_days=recipient.response_business_days,
        recipient_name=recipient.name,
        recipient_email=recipient.email,
        purpose=referral.purpose,
        nature=referral.nature,
    )


async def start_referral(
    client: Client,
    referral: Referral,
    recipient: DirectoryEntry,
    task_queue: str = WORKFLOWS_TASK_QUEUE,
) -> str:
    """Have the case's CaseLifecycle start the referral as its child; if that workflow no
    longer runs, start the referral directly. Repeats are no-ops either way (one run per id).
    Returns "child" or "direct"."""
    request = referral_input(referral, recipient)
    case = client.get_workflow_handle(case_workflow_id(referral.control_number))
    try:
        await case.signal(START_REFERRAL_SIGNAL, request)
        return "child"
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            REFERRAL_WORKFLOW,
            request,
            id=referral_workflow_id(referral.id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    return "direct"


async def start_after_commit(
    session_factory: async_sessionmaker[AsyncSession],
    temporal: TemporalConnection,
    referral: Referral,
    recipient: DirectoryEntry,
) -> bool:
    """Start a committed referral's workflow and mark it started; if Temporal is down, leave
    it to `PendingStarts` (False)."""
    try:
        await start_referral(temporal.client, referral, recipient)
    except (UnavailableError, RPCError) as error:
        log.warning("referral %s: workflow start deferred (%s)", referral.id, error)
        return False
    async with UnitOfWork(session_factory) as uow:
        started = await uow.session.get(Referral, referral.id)
        if started is not None:
            started.workflow_started = True
            referral.workflow_started = True
        await uow.commit()
    return True


async def signal_referral(client: Client, referral_id: str, signal: str, body: BaseModel) -> bool:
    """Signal the workflow, trying a few times; False (and a warning) if it never went."""
    handle = client.get_workflow_handle(referral_workflow_id(referral_id))
    delay = 0.2
    for attempt in range(1, SIGNAL_ATTEMPTS + 1):
        try:
            await handle.signal(signal, body)
            return True
        except RPCError as error:
            if attempt == SIGNAL_ATTEMPTS:
                log.warning(
                    "signal %s to referral %s failed (%s); the workflow will read it from the "
                    "database at its next deadline",
                    signal,
                    referral_id,
                    error,
                )
                return False
            await asyncio.sleep(delay)
            delay *= 2
    return False


async def signal_after_commit(
    temporal: TemporalConnection, referral_id: str, signal: str, body: BaseModel
) -> bool:
    """Signal if Temporal is connected at all; the change is committed either way."""
    try:
        client = temporal.client
    except UnavailableError:
        log.warning("referral %s: Temporal unreachable; %s not signalled", referral_id, signal)
        return False
    return await signal_referral(client, referral_id, signal, body)
