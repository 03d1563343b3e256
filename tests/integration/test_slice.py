"""The slice on real parts: intake -> Kafka -> cases -> Temporal -> notifications -> SMTP."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ombuds_shared.contracts import LIFECYCLE_STATE_QUERY, LifecycleState, case_workflow_id
from ombuds_shared.events import SUBMISSION_RECEIVED_V2
from ombuds_shared.settings import PlatformSettings
from ombuds_shared.telemetry import setup_tracing
from ombuds_shared.temporal import connect_temporal
from support import sample_files
from support.infra import (
    Infra,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from support.system import STAFF, System, eventually, running_system, sqlite_urls

EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"
SERVICES = ("intake", "cases", "notifications")


def example(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text())
    return body


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    setup_tracing("ombuds-tests", PlatformSettings(), exporter)
    return exporter


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
async def system(
    request: pytest.FixtureRequest,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    spans: InMemorySpanExporter,
) -> AsyncIterator[System]:
    if request.param == "sqlite":
        urls = sqlite_urls(tmp_path_factory.mktemp("slice"))
    elif not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    else:
        urls = {svc: await create_postgres_database(f"ombuds_slice_{svc}") for svc in SERVICES}
    try:
        async with running_system(infra, urls) as running:
            yield running
    finally:
        if request.param == "postgresql":
            for url in urls.values():
                await drop_postgres_database(url)


async def case_for(system: System, number: str) -> dict[str, Any] | None:
    response = await system.cases.get(f"/api/v1/cases/{number}", headers=STAFF)
    if response.status_code != 200 or response.json()["status"] != "triage":
        return None
    case: dict[str, Any] = response.json()
    return case


async def test_complaint_travels_to_an_acknowledgement_email(system: System) -> None:
    accepted = await system.intake.post("/api/v1/submissions", json=example("complaint"))
    assert accepted.status_code == 201
    number = accepted.json()["control_number"]

    case = await eventually(lambda: case_for(system, number))
    assert [h["to_status"] for h in case["status_history"]] == ["received", "triage"]
    assert case["workflow_id"] == case_workflow_id(number)

    emails = await eventually(lambda: _as_async(system.emails_for(number)))
    assert len(emails) == 1
    assert emails[0]["To"] == "Maria Lopez <maria.lopez@example.org>"
    assert number in emails[0].get_content()

    log = await system.notifications.get(
        "/api/v1/messages", params={"recipient": "maria.lopez@example.org"}
    )
    assert [(m["control_number"], m["status"]) for m in log.json()["items"]] == [(number, "sent")]

    async def status_is_triage() -> bool:
        status = await system.intake.get(
            f"/api/v1/submissions/{number}/status",
            headers={"X-Submitter-Email": "maria.lopez@example.org"},
        )
        return bool(status.json().get("status") == "triage")

    await eventually(status_is_triage)

    client = await connect_temporal(system.platform)
    handle = client.get_workflow_handle(case_workflow_id(number))

    async def workflow_state() -> LifecycleState | None:
        # The case row turns to triage inside the activity, a moment before the workflow
        # itself has processed that activity's completion.
        state = await handle.query(LIFECYCLE_STATE_QUERY, result_type=LifecycleState)
        return state if state.status == "triage" else None

    state = await eventually(workflow_state, timeout=30)
    assert state.acknowledged


async def test_anonymous_tip_opens_a_case_and_sends_nothing(system: System) -> None:
    accepted = await system.intake.post("/api/v1/submissions", json=example("tip"))
    number = accepted.json()["control_number"]
    case = await eventually(lambda: case_for(system, number))
    assert case["contact"] is None
    assert "anonymous" in case["status_history"][-1]["reason"]
    assert system.emails_for(number) == []


async def test_one_trace_follows_a_submission_to_its_email(
    system: System, spans: InMemorySpanExporter
) -> None:
    accepted = await system.intake.post("/api/v1/submissions", json=example("compliment"))
    number = accepted.json()["control_number"]
    await eventually(lambda: _as_async(system.emails_for(number)))

    def trace_of_submission() -> list[str] | None:
        finished = spans.get_finished_spans()
        consumed = [
            s
            for s in finished
            if s.name == f"consume {SUBMISSION_RECEIVED_V2}"
            and (s.attributes or {}).get("ombuds.control_number") == number
        ]
        if not consumed or consumed[0].context is None:
            return None
        trace_id = consumed[0].context.trace_id
        names = [
            s.name for s in finished if s.context is not None and s.context.trace_id == trace_id
        ]
        return (
            names if "smtp.send" in names and "RunActivity:cases.record_status" in names else None
        )

    names = await eventually(lambda: _as_async(trace_of_submission()))
    for expected in (
        "POST /api/v1/submissions",
        f"consume {SUBMISSION_RECEIVED_V2}",
        "StartWorkflow:CaseLifecycle",
        "RunWorkflow:CaseLifecycle",
        "StartActivity:notifications.send_acknowledgement",
        "RunActivity:notifications.send_acknowledgement",
        "smtp.send",
        "RunActivity:cases.record_status",
    ):
        assert expected in names, f"{expected} missing from the trace: {sorted(set(names))}"


async def _as_async(value: Any) -> Any:
    return value


async def test_a_phone_call_entered_by_staff_becomes_a_case_without_email(system: System) -> None:
    body = example("complaint")
    del body["privacy_act_acknowledged"], body["accuracy_certified"]
    body.update(
        channel="phone",
        information_confirmed=True,
        call={"received_at": "2026-11-20T10:15:00-05:00", "caller_number": "619 555 0142"},
    )
    accepted = await system.intake.post("/api/v1/staff/submissions", json=body, headers=STAFF)
    assert accepted.status_code == 201, accepted.text
    number = accepted.json()["control_number"]
    case = await eventually(lambda: case_for(system, number))
    assert case["channel"] == "phone"
    assert case["details"]["channel_details"]["call"]["caller_number"] == "619 555 0142"
    assert "read back" in case["status_history"][-1]["reason"]
    assert system.emails_for(number) == []


async def test_a_letter_is_answered_with_a_printable_letter(system: System) -> None:
    scan = await system.intake.post(
        "/api/v1/attachments", files={"file": ("letter.pdf", sample_files.pdf(), "application/pdf")}
    )
    body = example("complaint")
    del body["privacy_act_acknowledged"], body["accuracy_certified"]
    body.update(channel="letter", information_confirmed=True, scanned_document=scan.json()["id"])
    accepted = await system.intake.post("/api/v1/staff/submissions", json=body, headers=STAFF)
    assert accepted.status_code == 201, accepted.text
    number = accepted.json()["control_number"]
    case = await eventually(lambda: case_for(system, number))
    assert case["status_history"][-1]["reason"] == "acknowledgement letter ready to print and mail"
    log = await system.notifications.get("/api/v1/messages", params={"control_number": number})
    [letter] = log.json()["items"]
    assert (letter["channel"], letter["status"]) == ("letter", "ready_to_print")
    printable = await system.notifications.get(f"/api/v1/messages/{letter['message_id']}/letter")
    assert number in printable.text
    assert "123 Palm Ave" in printable.text
    assert system.emails_for(number) == []
