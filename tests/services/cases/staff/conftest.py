"""Staff fixtures: a migrated cases database (SQLite and PostgreSQL), the app, staff factories."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.config import Settings
from ombuds_cases.main import create_app
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.staff.credentials import hash_password, new_session_token, token_hash
from ombuds_cases.staff.models import StaffAccount, StaffSession, TrainingAttestation
from ombuds_cases.staff.policy import Office, Role
from ombuds_shared.db import create_engine, create_session_factory, utcnow
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings

PASSWORD = "correct horse battery staple"
# Hashed once: argon2 is slow on purpose, and the factories make many accounts.
PASSWORD_HASH = hash_password(PASSWORD)

SessionFactory = async_sessionmaker[AsyncSession]


def platform(environment: str) -> PlatformSettings:
    """The app runs without its lifespan here, so broker and Temporal are never dialled."""
    return PlatformSettings.model_validate({"OMBUDS_ENV": environment})


@dataclass
class Staffer:
    id: str
    email: str
    role: Role
    office: Office | None
    totp_secret: str
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        assert self.token is not None, "this staffer has no session"
        return {"Authorization": f"Bearer {self.token}"}

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


MakeStaff = Callable[..., Awaitable[Staffer]]


@pytest.fixture(scope="module")
async def migrated_url(database_url: str) -> str:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    return database_url


@pytest.fixture(scope="module")
async def session_factory(migrated_url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated_url)
    yield create_session_factory(engine)
    await engine.dispose()


def app_client(
    settings: Settings, session_factory: SessionFactory, base_url: str = "http://cases"
) -> httpx.AsyncClient:
    """The real cases app without its lifespan (no broker or Temporal loops), on our database."""
    app = create_app(settings)
    app.state.session_factory = session_factory
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, run_worker=False, platform=platform("test"))


@pytest.fixture
async def client(
    settings: Settings, session_factory: SessionFactory
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, session_factory) as client:
        yield client


async def open_session(session_factory: SessionFactory, staff_id: str) -> str:
    """A session token as sign-in would issue it (sign-in itself is tested on its own)."""
    token = new_session_token()
    now = utcnow()
    async with session_factory() as session:
        session.add(
            StaffSession(
                token_hash=token_hash(token),
                staff_id=staff_id,
                created_at=now,
                expires_at=now + timedelta(hours=8),
            )
        )
        await session.commit()
    return token


@pytest.fixture
def make_staff(session_factory: SessionFactory) -> MakeStaff:
    """`await make_staff(Role.SUPERVISOR, Office.TRADE)`: a working account with a session."""

    async def make(
        role: Role,
        office: Office | None = None,
        *,
        trained_on: date | None = None,
        untrained: bool = False,
        expires_on: date | None = None,
        password_must_change: bool = False,
        signed_in: bool = True,
    ) -> Staffer:
        today = utcnow().date()
        staff_id = uuid.uuid4().hex
        secret = pyotp.random_base32()
        email = f"{role.value}.{staff_id[:10]}@agency.example.gov"
        async with session_factory() as session:
            session.add(
                StaffAccount(
                    id=staff_id,
                    email=email,
                    name=f"{role.value.replace('_', ' ').title()} {staff_id[:6]}",
                    role=role.value,
                    office=office.value if office else None,
                    expires_on=expires_on or today + timedelta(days=90),
                    active=True,
                    password_hash=PASSWORD_HASH,
                    password_must_change=password_must_change,
                    totp_secret=secret,
                    designated_by="fixture",
                )
            )
            await session.flush()
            if not untrained:
                session.add(
                    TrainingAttestation(
                        staff_id=staff_id,
                        course="General Privacy Awareness Course",
                        completed_on=trained_on or today,
                        attested_by="fixture",
                    )
                )
            await session.commit()
        staffer = Staffer(staff_id, email, role, office, secret)
        if signed_in:
            staffer.token = await open_session(session_factory, staff_id)
        return staffer

    return make
