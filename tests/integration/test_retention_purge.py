"""Issue 6's proof that the five-year purge reaches every store.

One person's complaint goes in through intake's API (an attachment, a passport number), flows
over the real Tansu broker to cases, referrals and notifications on real PostgreSQL; staff work
it, refer it and close it, all on the Temporal dev server as in the slice test (closure starts
the case's Retention there too). The same Retention workflow then runs on a time-skipping
server with the real `cases.archive_case` against the real cases database, so five years pass
in seconds; the archive request flows over Kafka, each service purges and answers, and the
cases service forwards each answer through its signal outbox; the test relays those forwarded
signals to the time-skipping run (the services' own sender talks to the dev server, where the
case's other workflows live: the time-skipping server cannot host those).
Afterwards every table of the four databases and the attachment store are searched for the
person: nothing remains but the accounting of disclosures (Privacy Act, 552a(c)(2)). A second
person's case is untouched.
"""

import asyncio
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ombuds_cases.activities import CaseActivities
from ombuds_cases.case.records import PendingSignal
from ombuds_cases.config import Settings as CasesSettings
from ombuds_cases.main import create_app as cases_app
from ombuds_cases.migrate import MIGRATIONS as CASES_MIGRATIONS
from ombuds_cases.models import Case
from ombuds_cases.retention.archive_record import CaseArchive
from ombuds_intake.config import Settings as IntakeSettings
from ombuds_intake.main import create_app as intake_app
from ombuds_intake.migrate import MIGRATIONS as INTAKE_MIGRATIONS
from ombuds_notifications.config import Settings as NotificationSettings
from ombuds_notifications.main import create_app as notifications_app
from ombuds_notifications.migrate import MIGRATIONS as NOTIFICATION_MIGRATIONS
from ombuds_referrals.config import Settings as ReferralSettings
from ombuds_referrals.main import create_app as referrals_app
from ombuds_referrals.migrate import MIGRATIONS as REFERRAL_MIGRATIONS
from ombuds_shared.contracts import CASES_TASK_QUEUE
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.retention_contracts import (
    ISSUE_DELETION_CERTIFICATE_ACTIVITY,
    RETENTION_STATE_QUERY,
    STORE_CLEARED_SIGNAL,
    CertificateResult,
    IssueDeletionCertificate,
    RetentionInput,
    RetentionState,
    StoreCleared,
    retention_workflow_id,
)
from ombuds_shared.temporal import connect_temporal
from ombuds_workflows.retention import Retention, add_years
from ombuds_workflows.worker import build_worker
from support import sample_files
from support.infra import (
    Infra,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from support.purge import files_under, traces
from support.referrals import STAFF as REFERRALS_STAFF
from support.system import isolated_namespace

pytestmark = pytest.mark.integration

T = TypeVar("T")
STAFF = {"Authorization": "Bearer dev-staff-token"}
EXAMPLES = Path(__file__).parents[2] / "examples" / "submissions"
SERVICES = ("intake", "cases", "referrals", "notifications")
MIGRATIONS = {
    "intake": INTAKE_MIGRATIONS,
    "cases": CASES_MIGRATIONS,
    "referrals": REFERRAL_MIGRATIONS,
    "notifications": NOTIFICATION_MIGRATIONS,
}
PURGING = ("intake", "referrals", "notifications")
RETENTION_QUEUE = "retention-e2e"


@dataclass(frozen=True)
class Person:
    """ASCII values, none a substring of the example form's text or of the other person's."""

    first_name: str
    last_name: str
    email: str
    phone: str
    phrase: str
    passport: str

    def needles(self) -> list[str]:
        digits = "".join(c for c in self.phone if c.isdigit())
        return [
            self.first_name,
            self.last_name,
            self.email,
            self.phone,
            digits,
            self.phrase,
            self.passport,
        ]


PERSON = Person(
    first_name="Evangelina",
    last_name="Throckmorton",
    email="evangelina.throckmorton@example.net",
    phone="619 555 0163",
    phrase="the saxophone case was opened twice",
    passport="XQ4455667",
)
BYSTANDER = Person(
    first_name="Leopoldo",
    last_name="Vanderkamp",
    email="leopoldo.vanderkamp@example.org",
    phone="212 555 0188",
    phrase="the accordion stayed in the trunk",
    passport="LV9080706",
)


@dataclass
class FakeCertificates:
    """Stands in for `cases.issue_deletion_certificate`, built on another branch (`recpage`):
    same activity name, so the workflow calls it as it will call the real one."""

    asked: list[IssueDeletionCertificate] = field(default_factory=list)

    @activity.defn(name=ISSUE_DELETION_CERTIFICATE_ACTIVITY)
    async def certify(self, request: IssueDeletionCertificate) -> CertificateResult:
        self.asked.append(request)
        return CertificateResult(certificate_id="cert-e2e", already_issued=False)


@dataclass
class World:
    env: WorkflowEnvironment
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    engines: dict[str, AsyncEngine]
    attachments: Path
    certificates: FakeCertificates


async def bounded(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 45.0) -> T:
    """Poll `probe` (every 0.1 s, at most `timeout` s) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := await probe():
            return found
        await asyncio.sleep(0.1)
    pytest.fail(f"{what}: not within {timeout:.0f}s")


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=shutil.which("temporal-test-server"),
    ) as environment:
        yield environment


@pytest.fixture
async def databases() -> AsyncIterator[dict[str, str]]:
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    urls: dict[str, str] = {}
    try:
        for name in SERVICES:
            urls[name] = await create_postgres_database(f"ombuds_{name}_purge")
            await asyncio.to_thread(upgrade_to_head, MIGRATIONS[name], urls[name])
        yield urls
    finally:
        for url in urls.values():
            await drop_postgres_database(url)


@pytest.fixture
async def world(
    infra: Infra, env: WorkflowEnvironment, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[World]:
    platform = await isolated_namespace(infra.isolated_platform())
    attachments = tmp_path / "attachments"
    apps = {
        "intake": intake_app(
            IntakeSettings(
                database_url=databases["intake"],
                attachments_dir=str(attachments),
                platform=platform,
            )
        ),
        "cases": cases_app(CasesSettings(database_url=databases["cases"], platform=platform)),
        "referrals": referrals_app(
            ReferralSettings(database_url=databases["referrals"], platform=platform)
        ),
        "notifications": notifications_app(
            NotificationSettings(
                database_url=databases["notifications"], smtp_url=infra.smtp_url, platform=platform
            )
        ),
    }
    certificates = FakeCertificates()
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(build_worker(await connect_temporal(platform)))
        case_activities = CaseActivities(apps["cases"].state.session_factory)
        await stack.enter_async_context(
            Worker(env.client, task_queue=RETENTION_QUEUE, workflows=[Retention])
        )
        await stack.enter_async_context(
            Worker(
                env.client,
                task_queue=CASES_TASK_QUEUE,
                activities=[case_activities.archive_case, certificates.certify],
            )
        )
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
            for name, app in apps.items()
        }
        engines = {name: app.state.engine for name, app in apps.items()}
        yield World(env, apps, clients, engines, attachments, certificates)


async def forwarded(world: World, number: str) -> list[StoreCleared] | None:
    """The store-cleared signals the cases service forwarded, once all three were sent."""
    async with world.engines["cases"].connect() as connection:
        rows = (
            await connection.execute(
                select(PendingSignal.payload, PendingSignal.sent_at).where(
                    PendingSignal.control_number == number,
                    PendingSignal.signal == STORE_CLEARED_SIGNAL,
                )
            )
        ).all()
    if len(rows) < len(PURGING) or any(sent_at is None for _payload, sent_at in rows):
        return None
    return [StoreCleared.model_validate(payload) for payload, _sent_at in rows]


async def submit(world: World, person: Person) -> str:
    """The person's complaint through intake's public API, with an attachment naming them."""
    upload = await world.clients["intake"].post(
        "/api/v1/attachments",
        files={
            "file": (f"{person.last_name}.pdf", sample_files.pdf(person.phrase), "application/pdf")
        },
    )
    assert upload.status_code == 201, upload.text
    body: dict[str, Any] = json.loads((EXAMPLES / "complaint.json").read_text())
    body["contact"].update(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
    )
    body["incident"]["narrative"] = f"At the checkpoint {person.phrase}."
    body["identity"]["passport_number"] = person.passport
    body["attachments"] = [upload.json()["id"]]
    accepted = await world.clients["intake"].post("/api/v1/submissions", json=body)
    assert accepted.status_code == 201, accepted.text
    number: str = accepted.json()["control_number"]

    async def in_cases() -> bool:
        response = await world.clients["cases"].get(f"/api/v1/cases/{number}", headers=STAFF)
        return response.status_code == 200

    await bounded(in_cases, f"{number} reaching cases")
    return number


async def work_refer_and_close(world: World, number: str, person: Person) -> None:
    cases = world.clients["cases"]

    async def post(action: str, body: dict[str, Any], method: str = "POST") -> None:
        response = await cases.request(
            method, f"/api/v1/cases/{number}/{action}", json=body, headers=STAFF
        )
        assert response.status_code < 300, (action, response.text)

    await post("notes", {"stage": "review", "text": f"called {person.first_name} back"})
    await post("assignment", {"office": "border_patrol", "assignee": "officer.kim"})
    await post("findings", {"findings": f"{person.last_name} was right"}, "PUT")
    referred = await world.clients["referrals"].post(
        "/api/v1/referrals",
        json={
            "control_number": number,
            "recipient_id": "fbi",
            "purpose": "investigation",
            # Staff name the person in the nature of what is shared; the accounting copies it
            # (552a(c)(1)) and keeps it past the purge, so no narrative goes here.
            "nature": f"{person.first_name}'s complaint narrative and contact details",
        },
        headers=REFERRALS_STAFF,
    )
    assert referred.status_code == 201, referred.text
    # A share by phone outside DHS: the accounting of it must outlive the purge.
    await post(
        "disclosures",
        {
            "method": "phone",
            "nature": "complaint narrative and contact details",
            "purpose": "investigation",
            "recipient_name": "Federal Bureau of Investigation",
            "recipient_address": "935 Pennsylvania Avenue NW, Washington, DC 20535",
        },
    )
    await post("close", {"reason": "resolved with the submitter", "disposition": "substantiated"})


async def scan(world: World, person: Person) -> dict[str, set[tuple[str, str, str]]]:
    return {name: await traces(world.engines[name], person.needles()) for name in SERVICES}


def stored_files_naming(root: Path, person: Person) -> set[Path]:
    return {path for path in files_under(root) if person.phrase.encode() in path.read_bytes()}


async def test_five_years_after_closure_no_store_holds_the_person(world: World) -> None:
    number = await submit(world, PERSON)
    await submit(world, BYSTANDER)

    async def copied_everywhere() -> bool:
        # Referrals hears of the person only when staff refer the case, below.
        found = await scan(world, PERSON)
        return all(found[name] for name in ("intake", "cases", "notifications"))

    await bounded(copied_everywhere, "the person's data reaching intake, cases, notifications")
    await work_refer_and_close(world, number, PERSON)
    async with world.engines["cases"].connect() as connection:
        closed_at = await connection.scalar(
            select(Case.closed_at).where(Case.control_number == number)
        )
    assert closed_at is not None
    # Closure started the case's Retention on the dev server, through the signal outbox.
    dev = await connect_temporal(world.apps["cases"].state.settings.platform)

    async def started_at_closure() -> RetentionState | None:
        try:
            state: RetentionState = await dev.get_workflow_handle(
                retention_workflow_id(number)
            ).query(RETENTION_STATE_QUERY, result_type=RetentionState)
        except RPCError:
            return None
        return state

    assert (await bounded(started_at_closure, "Retention started at closure")).status == "waiting"

    handle = await world.env.client.start_workflow(
        Retention.run,
        RetentionInput(control_number=number, closed_at=closed_at),
        id=retention_workflow_id(number),
        task_queue=RETENTION_QUEUE,
    )
    waiting = await handle.query(Retention.state)
    assert waiting.due_at == add_years(closed_at, 5)
    other_before = await scan(world, BYSTANDER)
    person_before = await scan(world, PERSON)
    assert all(person_before[name] for name in SERVICES), person_before
    assert stored_files_naming(world.attachments, PERSON)

    # A day short of five years: nothing is purged anywhere.
    await world.env.sleep(waiting.due_at - await world.env.get_current_time() - timedelta(days=1))
    assert (await handle.query(Retention.state)).status == "waiting"
    async with world.engines["cases"].connect() as connection:
        assert await connection.scalar(select(CaseArchive.id)) is None
    # Subset, not equality: a late lifecycle message may still add a row, none may go.
    a_day_short = await scan(world, PERSON)
    assert all(person_before[name] <= a_day_short[name] for name in SERVICES)

    await world.env.sleep(timedelta(days=2))
    for body in await bounded(lambda: forwarded(world, number), "every store's answer forwarded"):
        await handle.signal(Retention.store_cleared, body)

    async def certified() -> RetentionState | None:
        state = await handle.query(Retention.state)
        return state if state.status == "certified" else None

    final = await bounded(certified, "every store confirming its purge")
    assert set(final.cleared) == {"cases", *PURGING}
    [asked] = world.certificates.asked
    assert set(asked.manifests) == {"cases", *PURGING}
    assert asked.manifests["intake"]["attachments"] == 1
    assert asked.manifests["referrals"]["referrals"] == 1
    assert asked.manifests["notifications"]["case_contacts"] == 1

    found = await scan(world, PERSON)
    # Only the accounting of disclosures keeps who the record was disclosed about.
    assert {name: found[name] for name in PURGING} == {name: set() for name in PURGING}
    # The name and email the accounting is kept under (its email holds the name too), and
    # the name in the referral's nature of disclosure.
    assert found["cases"] == {
        ("disclosures", "subject_name", PERSON.first_name),
        ("disclosures", "subject_name", PERSON.last_name),
        ("disclosures", "subject_name_key", PERSON.first_name),
        ("disclosures", "subject_name_key", PERSON.last_name),
        ("disclosures", "subject_email", PERSON.email),
        ("disclosures", "subject_email", PERSON.first_name),
        ("disclosures", "subject_email", PERSON.last_name),
        ("disclosures", "nature", PERSON.first_name),
    }
    assert stored_files_naming(world.attachments, PERSON) == set()
    other_after = await scan(world, BYSTANDER)
    assert all(other_before[name] <= other_after[name] for name in SERVICES)
    assert stored_files_naming(world.attachments, BYSTANDER)
    assert all(other_before[name] for name in ("intake", "cases", "notifications"))
