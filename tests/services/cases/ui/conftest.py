"""Staff UI fixtures: the cases app with its lifespan, staff seeded through the staff service,
browser-like clients (cookies over https) that sign in through the sign-in page."""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.staff import service, signin
from ombuds_cases.staff.auth import DEVELOPMENT_ACTOR
from ombuds_cases.staff.policy import Office, Role
from ombuds_devstack.processes import free_port
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.settings import PlatformSettings

NEW_PASSWORD = "a long and private passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def unreachable_platform() -> PlatformSettings:
    """Nothing listens here: the relay, consumer and Temporal connection just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@dataclass
class Seeded:
    id: str
    email: str
    name: str
    role: Role
    office: Office | None
    totp_secret: str
    password: str = NEW_PASSWORD

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


SeedStaff = Callable[..., Awaitable[Seeded]]


@pytest.fixture
def seed_staff(session_factory: async_sessionmaker[AsyncSession]) -> SeedStaff:
    """`await seed_staff(Role.SUPERVISOR)`: designated, TOTP enrolled, trained, password set,
    each step through the staff service as an administrator would take it."""

    async def seed(
        role: Role,
        office: Office | None = None,
        *,
        trained: bool = True,
        password_changed: bool = True,
    ) -> Seeded:
        now = utcnow()
        tag = uuid.uuid4().hex[:8]
        new = service.NewStaff(
            f"{role.value}.{tag}@agency.example.gov",
            f"{role.value.replace('_', ' ').title()} {tag}",
            role,
            office,
            now.date() + timedelta(days=90),
        )
        async with UnitOfWork(session_factory) as uow:
            account, one_time = await service.create_staff(uow.session, DEVELOPMENT_ACTOR, new, now)
            await uow.session.flush()
            uri = await service.enrol_totp(
                uow.session, DEVELOPMENT_ACTOR, account.id, "Ombuds", now
            )
            if trained:
                await service.record_training(
                    uow.session,
                    DEVELOPMENT_ACTOR,
                    account.id,
                    service.DEFAULT_COURSE,
                    now.date(),
                    now,
                )
            await uow.commit()
        password = one_time
        if password_changed:
            async with UnitOfWork(session_factory) as uow:
                await signin.change_password(uow.session, account.id, one_time, NEW_PASSWORD, now)
                await uow.commit()
            password = NEW_PASSWORD
        return Seeded(
            account.id,
            account.email,
            account.name,
            role,
            office,
            pyotp.parse_uri(uri).secret,
            password,
        )

    return seed


@pytest.fixture
async def app(migrated_url: str) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=migrated_url, run_worker=False, platform=unreachable_platform()
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


Browser = Callable[[], httpx.AsyncClient]


@pytest.fixture
async def new_browser(app: FastAPI) -> AsyncIterator[Browser]:
    """`new_browser()`: a client with its own cookie jar, like one person's browser."""
    opened: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://cases")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open `page` (for its CSRF token and cookie), then post `data` to `action` with it."""
    opened = await client.get(page)
    return await client.post(action, data={**data, "csrf_token": csrf_of(opened.text)})


SignIn = Callable[[Seeded], Awaitable[httpx.AsyncClient]]


@pytest.fixture
def signed_in(new_browser: Browser) -> SignIn:
    """`await signed_in(seeded)`: a new browser that signed in through the sign-in page."""

    async def sign_in(seeded: Seeded) -> httpx.AsyncClient:
        client = new_browser()
        response = await post_form(
            client,
            "/staff/sign-in",
            "/staff/sign-in",
            {"email": seeded.email, "password": seeded.password, "code": seeded.code()},
        )
        assert response.status_code == 303, response.text
        return client

    return sign_in
