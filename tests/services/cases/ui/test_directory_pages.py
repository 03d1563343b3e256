"""The directory admin page against the real referrals app (in-process, on its own database):
an administrator lists, adds, edits and disables offices and agencies and issues an API key,
each through the referrals admin API with their signed assertion; others are refused; and
when referrals is down the page says so."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.audit.models import AuditRecord
from ombuds_cases.staff.policy import Office, Role
from ombuds_devstack.processes import free_port
from ombuds_referrals.config import Settings as ReferralsSettings
from ombuds_referrals.main import create_app as create_referrals_app
from ombuds_referrals.migrate import MIGRATIONS as REFERRALS_MIGRATIONS
from ombuds_shared.migrations import upgrade_to_head
from support.referrals import STAFF

from .conftest import SeedStaff, SignIn, csrf_of, post_form, unreachable_platform

PAGE = "/staff/directory"


@pytest.fixture(scope="module")
async def referrals_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('referrals') / 'referrals.db'}"
    await asyncio.to_thread(upgrade_to_head, REFERRALS_MIGRATIONS, url)
    return url


@pytest.fixture
async def referrals(app: FastAPI, referrals_db: str) -> AsyncIterator[httpx.AsyncClient]:
    """The referrals app, reached by the cases app's page; a development client to check it."""
    settings = ReferralsSettings(
        database_url=referrals_db, run_worker=False, platform=unreachable_platform()
    )
    referrals_app = create_referrals_app(settings)
    async with (
        referrals_app.router.lifespan_context(referrals_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=referrals_app),
            base_url="http://referrals",
            headers=STAFF,
        ) as client,
    ):
        app.state.referrals_transport = httpx.ASGITransport(app=referrals_app)
        yield client
        del app.state.referrals_transport


async def entry_of(referrals: httpx.AsyncClient, entry_id: str) -> dict[str, object]:
    response = await referrals.get("/api/v1/admin/directory?include_disabled=true")
    found: dict[str, object] = next(e for e in response.json() if e["id"] == entry_id)
    return found


def new_entry(**overrides: str) -> dict[str, str]:
    return {
        "id": f"agency-{uuid.uuid4().hex[:8]}",
        "name": "Test Inspector General",
        "kind": "outside_agency",
        "postal_address": "1 Test Street, Washington, DC 20001",
        "kafka_enabled": "on",
        "email": "referrals@oig.example.gov",
        "acknowledgement_business_days": "3",
        "response_business_days": "20",
        **overrides,
    }


async def test_an_administrator_sees_every_entry_with_channels_and_deadlines(
    referrals: httpx.AsyncClient, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    assert 'href="/staff/directory">Directory</a>' in page.text
    assert 'id="entry-crcl"' in page.text
    assert "Civil Rights and Civil Liberties" in page.text
    assert "business days" in page.text


async def test_add_edit_disable_and_issue_a_key_through_the_referrals_api(
    referrals: httpx.AsyncClient,
    signed_in: SignIn,
    seed_staff: SeedStaff,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    admin = await seed_staff(Role.ADMINISTRATOR)
    client = await signed_in(admin)
    body = new_entry()
    added = await post_form(client, PAGE, PAGE, body)
    assert added.status_code == 303, added.text
    stored = await entry_of(referrals, body["id"])
    assert stored["channels"] == ["kafka", "email"]
    assert stored["acknowledgement_business_days"] == 3

    edit = f"{PAGE}/{body['id']}"
    changed = await post_form(
        client,
        edit,
        edit,
        {**body, "response_business_days": "30", "email": "", "kafka_enabled": "on"},
    )
    assert changed.status_code == 303, changed.text
    stored = await entry_of(referrals, body["id"])
    assert stored["response_business_days"] == 30
    assert stored["channels"] == ["kafka"]

    issued = await post_form(client, PAGE, f"{edit}/api-key", {})
    assert issued.status_code == 201
    assert 'id="issued-api-key">omb_' in issued.text
    key = issued.text.split('id="issued-api-key">')[1].split("<")[0]
    assert key not in (await client.get(PAGE)).text

    disabled = await post_form(client, PAGE, f"{edit}/disable", {})
    assert disabled.status_code == 303
    assert (await entry_of(referrals, body["id"]))["disabled"] is True

    async with session_factory() as session:
        audited = (
            await session.execute(
                select(AuditRecord.action, AuditRecord.record_type, AuditRecord.actor)
                .where(AuditRecord.record_id == body["id"])
                .order_by(AuditRecord.sequence)
            )
        ).all()
    assert [(action, kind) for action, kind, _ in audited] == [
        ("create", "directory_entry"),
        ("update", "directory_entry"),
        ("create", "agency_api_key"),
        ("update", "directory_entry"),
    ]
    assert {actor for _, _, actor in audited} == {admin.email}


async def test_editing_an_unknown_entry_says_so(
    referrals: httpx.AsyncClient, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    page = await client.get(f"{PAGE}/no-such-agency")
    assert page.status_code == 404
    assert "The directory has no entry &#39;no-such-agency&#39;." in page.text
    assert 'id="edit-heading"' not in page.text


async def test_refused_fields_are_named_and_what_was_typed_is_kept(
    referrals: httpx.AsyncClient, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    body = new_entry(acknowledgement_business_days="0", name="Kept Name Agency")
    refused = await post_form(client, PAGE, PAGE, body)
    assert refused.status_code == 422
    assert 'href="#new-acknowledgement-business-days"' in refused.text
    assert "acknowledgement business days: Input should be greater than or equal to 1" in (
        refused.text
    )
    assert 'value="Kept Name Agency"' in refused.text
    listed = await referrals.get("/api/v1/admin/directory?include_disabled=true")
    assert body["id"] not in {entry["id"] for entry in listed.json()}


async def test_other_roles_are_refused_and_see_no_link(
    referrals: httpx.AsyncClient, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.SUPERVISOR, Office.FIELD_OPERATIONS))
    page = await client.get(PAGE)
    assert page.status_code == 403
    assert "directory.manage" in page.text
    assert 'href="/staff/directory"' not in page.text
    posted = await client.post(PAGE, data={**new_entry(), "csrf_token": csrf_of(page.text)})
    assert posted.status_code == 403


async def test_a_form_without_its_csrf_token_is_refused(
    referrals: httpx.AsyncClient, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    body = new_entry()
    assert (await client.post(PAGE, data=body)).status_code == 403
    listed = await referrals.get("/api/v1/admin/directory?include_disabled=true")
    assert body["id"] not in {entry["id"] for entry in listed.json()}


async def test_the_page_says_so_when_referrals_is_down(
    app: FastAPI, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    app.state.settings = app.state.settings.model_copy(update={"referrals_url": nothing_listens})
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    page = await client.get(PAGE)
    assert page.status_code == 503
    assert "The referrals service is unavailable" in page.text
    added = await post_form(client, PAGE, PAGE, new_entry())
    assert added.status_code == 503
    assert "Nothing was changed" in added.text


async def test_mismatched_assertion_keys_are_named_not_blamed_on_the_member(
    app: FastAPI, referrals_db: str, signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    settings = ReferralsSettings(
        database_url=referrals_db,
        run_worker=False,
        platform=unreachable_platform(),
        staff_assertion_public_key=base64.b64encode(other).decode(),
    )
    app.state.referrals_transport = httpx.ASGITransport(app=create_referrals_app(settings))
    client = await signed_in(await seed_staff(Role.ADMINISTRATOR))
    page = await client.get(PAGE)
    assert page.status_code == 503
    assert "REFERRALS_STAFF_ASSERTION_PUBLIC_KEY must be the public half" in page.text
