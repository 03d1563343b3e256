"""Opening cases from `submission.received` and handing each to its CaseLifecycle workflow."""

import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ombuds_cases import repository, service
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.models import Case, InboxRecord
from ombuds_cases.sla.config import sla_settings
from ombuds_shared.contracts import (
    CASE_LIFECYCLE_WORKFLOW,
    SA_CASE_CATEGORY,
    SA_CASE_KIND,
    SA_CASE_OFFICE,
    SA_CASE_STATUS,
    SA_CONTROL_NUMBER,
    SA_SLA_STATE,
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

log = logging.getLogger(__name__)


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


def lifecycle_input(case: Case, search_attributes: bool = False) -> CaseLifecycleInput:
    name = " ".join(p for p in (case.contact_first_name, case.contact_last_name) if p)
    levels = sla_settings()
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
        triage_business_days=levels.triage_days(case.kind),
        response_business_days=levels.response_days(case.kind),
        supervisor_email=levels.supervisor_email,
        search_attributes=search_attributes,
    )


def case_search_attributes(case: Case) -> TypedSearchAttributes:
    """What operations filter on in the Temporal UI (registered by the dev server's start)."""
    values = {
        SA_CONTROL_NUMBER: case.control_number,
        SA_CASE_KIND: case.kind,
        SA_CASE_CATEGORY: case.category,
        SA_CASE_STATUS: case.status,
        SA_SLA_STATE: "on_track",
    }
    if case.office:
        values[SA_CASE_OFFICE] = case.office
    return TypedSearchAttributes(
        [
            SearchAttributePair(SearchAttributeKey.for_keyword(name), value)
            for name, value in values.items()
        ]
    )


async def start_lifecycle(client: Client, case: Case) -> None:
    """Start the case's workflow with its search attributes; a second start is a no-op.

    A server without the attributes registered (an old dev-server database, a test server)
    refuses them: the case is then started without, and its workflow upserts none.
    """
    with contextlib.suppress(WorkflowAlreadyStartedError):
        try:
            await _start(client, case, case_search_attributes(case))
        except RPCError as error:
            if error.status != RPCStatusCode.INVALID_ARGUMENT:
                raise
            log.warning("search attributes refused (%s); starting without", error.message)
            await _start(client, case, None)


async def _start(client: Client, case: Case, attributes: TypedSearchAttributes | None) -> None:
    await client.start_workflow(
        CASE_LIFECYCLE_WORKFLOW,
        lifecycle_input(case, search_attributes=attributes is not None),
        id=case_workflow_id(case.control_number),
        task_queue=WORKFLOWS_TASK_QUEUE,
        # Never a second run for one case, even after the first has completed.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=attributes or TypedSearchAttributes.empty,
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
