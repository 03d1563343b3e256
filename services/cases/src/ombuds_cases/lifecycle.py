"""Opening cases from `submission.received` and handing each to its CaseLifecycle workflow."""

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from ombuds_cases import repository, service
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.models import Case, InboxRecord
from ombuds_shared.contracts import (
    CASE_LIFECYCLE_WORKFLOW,
    WORKFLOWS_TASK_QUEUE,
    CaseLifecycleInput,
    case_workflow_id,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    SUBMISSION_RECEIVED_V2,
    CloudEvent,
    SubmissionReceivedV1,
    SubmissionReceivedV2,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.temporal import TemporalConnection


def postal_address(case: Case) -> list[str]:
    """The address block an acknowledgement letter is printed with (empty if none given)."""
    contact = (case.details or {}).get("contact") or {}
    if not contact.get("city"):
        return []
    locality = " ".join(
        part
        for part in (
            contact.get("city", "") + ",",
            contact.get("state_province"),
            contact.get("postal_code"),
        )
        if part
    )
    return [
        line for line in (contact.get("street_address"), locality, contact.get("country")) if line
    ]


def lifecycle_input(case: Case) -> CaseLifecycleInput:
    name = " ".join(p for p in (case.contact_first_name, case.contact_last_name) if p)
    return CaseLifecycleInput(
        control_number=case.control_number,
        kind=case.kind,
        category=case.category,
        channel=case.channel,
        anonymous=case.anonymous,
        recipient_email=case.contact_email,
        recipient_name=name or None,
        language=case.language,
        address_lines=postal_address(case),
    )


async def start_lifecycle(client: Client, case: Case) -> None:
    """Start the case's workflow; a second start of the same case is a no-op."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            CASE_LIFECYCLE_WORKFLOW,
            lifecycle_input(case),
            id=case_workflow_id(case.control_number),
            task_queue=WORKFLOWS_TASK_QUEUE,
            # Never a second run for one case, even after the first has completed.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


class SubmissionHandler:
    """Turns `submission.received` into an open case with a running workflow."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        temporal: TemporalConnection,
        keyring: FieldKeyring | None = None,
        blind_key: bytes | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._temporal = temporal
        self._keyring = keyring
        self._blind_key = blind_key

    async def __call__(self, event: CloudEvent) -> None:
        received: SubmissionReceivedV1 | SubmissionReceivedV2
        if event.type == SUBMISSION_RECEIVED_V2:
            received = SubmissionReceivedV2.model_validate(event.data)
        else:
            received = SubmissionReceivedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if await claim_event(uow.session, InboxRecord, event):
                existing = await repository.by_control_number(uow.session, received.control_number)
                if existing is None:
                    service.open_case(uow.session, received, self._keyring, self._blind_key)
                await uow.commit()
        # Outside the transaction: a crash here leaves workflow_started false, the event is
        # redelivered (its offset is not yet committed) and the start is tried again.
        async with UnitOfWork(self._session_factory) as uow:
            case = await repository.by_control_number(uow.session, received.control_number)
            if case is None or case.workflow_started:
                return
            await start_lifecycle(self._temporal.client, case)
            case.workflow_started = True
            await uow.commit()
