"""Search attributes on a real Temporal dev server: registered when it starts, set when the
cases service starts a case's workflow, upserted as its status and service levels change."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from ombuds_cases import lifecycle
from ombuds_cases.lifecycle import case_search_attributes, start_lifecycle
from ombuds_cases.models import Case
from ombuds_devstack.processes import SEARCH_ATTRIBUTES as REGISTERED_BY_DEVSTACK
from ombuds_shared.contracts import (
    CASE_LIFECYCLE_WORKFLOW,
    CASES_TASK_QUEUE,
    NOTIFICATIONS_TASK_QUEUE,
    RECORD_CASE_STATUS_ACTIVITY,
    RECORD_SLA_BREACH_ACTIVITY,
    SEARCH_ATTRIBUTES,
    SEND_ACKNOWLEDGEMENT_ACTIVITY,
    STATUS_CHANGED_SIGNAL,
    WITHDRAW_CASE_SIGNAL,
    WORKFLOWS_TASK_QUEUE,
    AcknowledgementResult,
    CaseLifecycleInput,
    RecordCaseStatus,
    RecordSlaBreach,
    SendAcknowledgement,
    StatusChanged,
    WithdrawCase,
    case_workflow_id,
)
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.temporal import connect_temporal
from ombuds_workflows.case_lifecycle import CaseLifecycle
from support.infra import Infra
from support.system import eventually


@activity.defn(name=SEND_ACKNOWLEDGEMENT_ACTIVITY)
async def send(request: SendAcknowledgement) -> AcknowledgementResult:
    return AcknowledgementResult(message_id="m-1", already_sent=False, sent_at=datetime.now(UTC))


@activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
async def record(request: RecordCaseStatus) -> bool:
    return True


@activity.defn(name=RECORD_SLA_BREACH_ACTIVITY)
async def breach(request: RecordSlaBreach) -> bool:
    return True


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[Client]:
    client = await connect_temporal(infra.platform)
    async with (
        Worker(client, task_queue=WORKFLOWS_TASK_QUEUE, workflows=[CaseLifecycle]),
        Worker(client, task_queue=NOTIFICATIONS_TASK_QUEUE, activities=[send]),
        Worker(client, task_queue=CASES_TASK_QUEUE, activities=[record, breach]),
    ):
        yield client


def a_case(number: str) -> Case:
    """A case as the cases service holds it, not stored anywhere (start only reads it)."""
    return Case(
        control_number=number,
        kind="complaint",
        category="civil_rights",
        channel="phone",
        anonymous=False,
        language="en",
        status="received",
        details={},
    )


async def found(client: Client, query: str) -> list[str]:
    return [execution.id async for execution in client.list_workflows(query)]


def test_devstack_registers_exactly_the_attributes_the_contracts_name() -> None:
    assert REGISTERED_BY_DEVSTACK == SEARCH_ATTRIBUTES


async def test_the_dev_server_has_the_attributes_registered(client: Client) -> None:
    answer = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    assert {
        name: answer.custom_attributes.get(name) for name in SEARCH_ATTRIBUTES
    } == dict.fromkeys(SEARCH_ATTRIBUTES, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD)


async def test_a_case_is_started_with_them_and_its_status_and_office_are_upserted(
    client: Client,
) -> None:
    number = new_control_number()
    await start_lifecycle(client, a_case(number))
    handle = client.get_workflow_handle(case_workflow_id(number))
    started = await handle.describe()
    assert started.typed_search_attributes == case_search_attributes(a_case(number))

    await handle.signal(
        STATUS_CHANGED_SIGNAL, StatusChanged(to_status="assigned", office="field_operations")
    )
    query = (
        f'ControlNumber="{number}" AND CaseStatus="assigned" '
        'AND CaseOffice="field_operations" AND CaseKind="complaint"'
    )
    # Visibility is eventually consistent: poll, within a bound.
    assert await eventually(lambda: found(client, query), timeout=30) == [case_workflow_id(number)]
    await handle.signal(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="test", already_recorded=True))
    await handle.result()


async def test_a_breached_case_is_found_by_sla_state(client: Client) -> None:
    number = new_control_number()
    # No business days to triage: due at once, so the breach happens on a real clock.
    request = CaseLifecycleInput(
        control_number=number,
        kind="tip",
        category="general",
        channel="phone",
        anonymous=True,
        triage_business_days=0,
        search_attributes=True,
    )
    handle = await client.start_workflow(
        CASE_LIFECYCLE_WORKFLOW,
        request,
        id=f"case-{number}-{uuid.uuid4().hex[:6]}",
        task_queue=WORKFLOWS_TASK_QUEUE,
        search_attributes=case_search_attributes(a_case(number)),
    )
    query = f'ControlNumber="{number}" AND SlaState="breached"'
    assert await eventually(lambda: found(client, query), timeout=30) == [handle.id]
    await handle.signal(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="test", already_recorded=True))
    await handle.result()


async def test_a_server_refusing_the_attributes_still_gets_the_case_started(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with a dev-server database made before they were registered: started without."""
    unregistered = TypedSearchAttributes(
        [SearchAttributePair(SearchAttributeKey.for_keyword("NotRegistered"), "x")]
    )
    monkeypatch.setattr(lifecycle, "case_search_attributes", lambda case: unregistered)
    number = new_control_number()

    await start_lifecycle(client, a_case(number))

    handle = client.get_workflow_handle(case_workflow_id(number))
    described = await handle.describe()
    assert described.typed_search_attributes == TypedSearchAttributes.empty
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [payload] = started.input.payloads
    request = CaseLifecycleInput.model_validate_json(payload.data)
    # The workflow is told not to upsert attributes the server does not know.
    assert request.search_attributes is False
    await handle.signal(WITHDRAW_CASE_SIGNAL, WithdrawCase(reason="test", already_recorded=True))
    await handle.result()
