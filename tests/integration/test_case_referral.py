"""Done when (issue 5): a complaint is referred to CRCL from the case, on real parts.

The cases and referrals services share a Tansu broker; a Temporal dev server runs the
Referral workflows. The case's `referral-requested` event reaches the referrals service, whose
workflow delivers on the outbound topic (read here by CRCL's consumer) and to CRCL's signed
webhook (a local receiver that checks every signature). CRCL acknowledges, responds and gives
its disposition through the agency API; the case follows each step and ends `resolved` with
that disposition. The disclosure accounting lists the CRCL referral as a need-to-know share
inside DHS (552a(b)(1)) and a second referral of the same complaint to the Department of State
(outside DHS) as a routine use (552a(b)(3)). State's referral is recalled, and the case still
waits for CRCL.
"""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ombuds_cases import service as case_service
from ombuds_cases.config import Settings as CasesSettings
from ombuds_cases.main import create_app as create_cases_app
from ombuds_cases.migrate import MIGRATIONS as CASES_MIGRATIONS
from ombuds_devstack.processes import free_port
from ombuds_referrals.config import Settings as ReferralsSettings
from ombuds_referrals.main import create_app as create_referrals_app
from ombuds_referrals.migrate import MIGRATIONS as REFERRALS_MIGRATIONS
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory
from ombuds_shared.events import (
    REFERRAL_OUTBOUND_V1,
    REFERRALS_OUTBOUND_TOPIC,
    CloudEvent,
    SubmissionReceivedV2,
)
from ombuds_shared.inbox import EventConsumer
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.tasks import running
from ombuds_shared.temporal import connect_temporal
from ombuds_workflows.worker import build_worker
from support.infra import Infra
from support.referrals import STAFF, issue_key
from support.system import eventually, isolated_namespace
from support.webhook_receiver import webhook_receiver


class Agency:
    """A downstream agency reading the outbound topic."""

    def __init__(self) -> None:
        self.received: list[CloudEvent] = []

    async def __call__(self, event: CloudEvent) -> None:
        self.received.append(event)


async def open_complaint(cases_url: str) -> str:
    number = new_control_number()
    received = SubmissionReceivedV2.model_validate(
        {
            "control_number": number,
            "form_version": "general-2026-11",
            "kind": "complaint",
            "category": "general",
            "topic": None,
            "channel": "web",
            "anonymous": False,
            "language": "en",
            "contact": {
                "first_name": "Ana",
                "last_name": "Ruiz",
                "email": f"ana+{uuid.uuid4().hex[:8]}@example.org",
            },
            "incident": {"narrative": "I was searched because of my religion."},
            "received_at": datetime.now(UTC),
        }
    )
    engine = create_engine(cases_url)
    try:
        async with UnitOfWork(create_session_factory(engine)) as uow:
            case_service.open_case(uow.session, received)
            await uow.commit()
    finally:
        await engine.dispose()
    return number


async def test_a_complaint_referred_to_crcl_from_the_case_comes_back_with_its_disposition(
    infra: Infra, tmp_path: Path
) -> None:
    cases_url = f"sqlite:///{tmp_path / 'cases.db'}"
    referrals_url = f"sqlite:///{tmp_path / 'referrals.db'}"
    await asyncio.to_thread(upgrade_to_head, CASES_MIGRATIONS, cases_url)
    await asyncio.to_thread(upgrade_to_head, REFERRALS_MIGRATIONS, referrals_url)
    platform = await isolated_namespace(infra.isolated_platform())
    # No CaseLifecycle runs here: the cases service's own Temporal connection goes nowhere.
    cases_platform = platform.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    cases = create_cases_app(
        CasesSettings(database_url=cases_url, run_worker=False, platform=cases_platform)
    )
    referrals = create_referrals_app(
        ReferralsSettings(database_url=referrals_url, platform=platform)
    )
    crcl = Agency()
    outbound = EventConsumer(
        platform,
        group_id="agency-crcl",
        topics=(REFERRALS_OUTBOUND_TOPIC,),
        handlers={REFERRAL_OUTBOUND_V1: crcl},
    )
    number = await open_complaint(cases_url)
    temporal = await connect_temporal(platform)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(cases.router.lifespan_context(cases))
        await stack.enter_async_context(referrals.router.lifespan_context(referrals))
        await stack.enter_async_context(build_worker(temporal))
        await stack.enter_async_context(running(outbound.run()))
        receiver = await stack.enter_async_context(
            webhook_receiver("crcl-shared-secret-0123456789")
        )
        staff = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cases), base_url="http://cases", headers=STAFF
            )
        )
        agency_api = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=referrals), base_url="http://referrals"
            )
        )

        async def healthy() -> bool:
            return (await agency_api.get("/healthz")).status_code == 200

        await eventually(healthy, timeout=60)
        hooked = await agency_api.patch(
            "/api/v1/admin/directory/crcl",
            json={"webhook_url": receiver.url, "webhook_secret": receiver.secret},
            headers=STAFF,
        )
        assert hooked.json()["channels"] == ["kafka", "webhook"]
        assigned = await staff.post(
            f"/api/v1/cases/{number}/assignment", json={"office": "privacy"}
        )
        assert assigned.json()["status"] == "assigned"

        # Staff refer the complaint from the case.
        referred = await staff.post(
            f"/api/v1/cases/{number}/referrals",
            json={"recipient_id": "crcl", "purpose": "investigation of a civil rights complaint"},
        )
        assert referred.status_code == 201, referred.text
        assert referred.json()["status"] == "referred"
        crcl_id = referred.json()["referrals"][0]["referral_id"]

        # The outbound event reaches CRCL's consumer, keyed by CRCL, naming the case.
        async def delivered() -> list[CloudEvent]:
            return [e for e in crcl.received if e.data["referral_id"] == crcl_id]

        [event] = await eventually(delivered, timeout=60)
        assert (event.subject, event.data["action"]) == ("crcl", "referral")
        assert event.data["control_number"] == number
        # The signed webhook arrived too, and its signature verified.
        [posted] = await eventually(lambda: _now(receiver.accepted), timeout=30)
        assert posted["referral_id"] == crcl_id
        assert receiver.refused == 0

        # The same complaint to the Department of State, outside DHS: a routine use.
        also = await staff.post(
            f"/api/v1/cases/{number}/referrals",
            json={"recipient_id": "state", "purpose": "a visa matter raised in the complaint"},
        )
        state_id = also.json()["referrals"][1]["referral_id"]

        # Both referrals are accounted, each once, with the basis the record went under.
        async def accounted() -> list[Any] | None:
            listed: list[Any] = (await staff.get(f"/api/v1/cases/{number}/disclosures")).json()
            return listed if len(listed) >= 2 else None

        rows = await eventually(accounted, timeout=60)
        assert len(rows) == 2
        by_referral = {d["disclosed_by"]: d for d in rows}
        assert sorted(by_referral) == sorted([f"referral {crcl_id}", f"referral {state_id}"])
        to_crcl = by_referral[f"referral {crcl_id}"]
        assert to_crcl["basis"] == "b1_need_to_know"
        assert to_crcl["recipient_name"] == "DHS Office for Civil Rights and Civil Liberties"
        assert to_crcl["purpose"] == "investigation of a civil rights complaint"
        assert to_crcl["subject_name"] == "Ana Ruiz"
        to_state = by_referral[f"referral {state_id}"]
        assert to_state["basis"] == "b3_routine_use"
        assert to_state["recipient_name"] == "U.S. Department of State"
        assert to_state["purpose"] == "a visa matter raised in the complaint"
        assert to_state["subject_name"] == "Ana Ruiz"
        recalled = await agency_api.post(
            f"/api/v1/referrals/{state_id}/recall", json={"reason": "CRCL has it"}, headers=STAFF
        )
        assert recalled.status_code == 200, recalled.text

        # CRCL answers through its API, with its own key.
        key = await issue_key(agency_api, "crcl")
        base = f"/api/v1/agency/referrals/{crcl_id}"
        assert (await agency_api.post(f"{base}/acknowledge", headers=key)).status_code == 200
        answered = await agency_api.post(
            f"{base}/response", json={"text": "Investigation opened."}, headers=key
        )
        assert answered.status_code == 200
        disposed = await agency_api.post(
            f"{base}/disposition",
            json={"disposition": "Substantiated; the officers were retrained."},
            headers=key,
        )
        assert disposed.status_code == 200, disposed.text

        # The case shows it: resolved, with CRCL's disposition as its findings.
        async def resolved() -> dict[str, Any] | None:
            case: dict[str, Any] = (await staff.get(f"/api/v1/cases/{number}")).json()
            return case if case["status"] == "resolved" else None

        case = await eventually(resolved, timeout=60)
        assert case["disposition"] == "referred"
        assert "Substantiated; the officers were retrained." in case["findings"]
        by_recipient = {r["recipient_id"]: r for r in case["referrals"]}
        assert by_recipient["crcl"]["status"] == "disposition_received"
        assert by_recipient["crcl"]["recipient_name"] == (
            "DHS Office for Civil Rights and Civil Liberties"
        )
        assert by_recipient["state"]["status"] == "recalled"
        entries = (await staff.get(f"/api/v1/cases/{number}/timeline")).json()["entries"]
        kinds = [e["kind"] for e in entries if e["actor"].startswith("referral:")]
        assert kinds[:1] == ["referral_recalled"]
        assert kinds[1:4] == ["referral_acknowledged", "referral_responded", "referral_disposition"]
        # Staff close it with the agency's disposition already set.
        closed = await staff.post(f"/api/v1/cases/{number}/close", json={"reason": "CRCL done"})
        assert closed.json()["status"] == "closed"


async def _now(value: list[dict[str, object]]) -> list[dict[str, object]]:
    return value
