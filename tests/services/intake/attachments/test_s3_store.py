"""The S3 store against a real S3-compatible server: moto's, started as a subprocess."""

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from aiobotocore.session import get_session
from pydantic import SecretStr
from sqlalchemy import select

from ombuds_devstack.processes import ManagedProcess, free_port, venv_executable, wait_for_port
from ombuds_intake.attachments.models import Attachment, new_storage_key
from ombuds_intake.attachments.storage import S3Store, StoredObjectNotFound, build_store
from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.db import create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from support import sample_files

pytestmark = pytest.mark.integration

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = ManagedProcess(
        "moto-s3",
        [venv_executable("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        tmp_path_factory.mktemp("moto-logs"),
    )
    try:
        wait_for_port(server, port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
async def store(s3_endpoint: str) -> S3Store:
    bucket = f"ombuds-test-{uuid.uuid4().hex[:12]}"
    store = S3Store(bucket, endpoint_url=s3_endpoint, **CREDENTIALS)
    await store.ensure_bucket()
    return store


async def object_keys(store: S3Store, endpoint: str) -> list[str]:
    """The bucket's keys, listed by a client of our own rather than through the store."""
    async with get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as s3:
        listing = await s3.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []) if "Key" in item)


async def test_put_get_delete(store: S3Store, s3_endpoint: str) -> None:
    key = new_storage_key()
    data = sample_files.jpeg()
    await store.put(key, data)
    assert await store.get(key) == data
    assert await object_keys(store, s3_endpoint) == [key]
    await store.delete(key)
    assert await object_keys(store, s3_endpoint) == []
    with pytest.raises(StoredObjectNotFound):
        await store.get(key)
    await store.delete(key)  # already gone: still fine


async def test_ensure_bucket_is_idempotent(store: S3Store) -> None:
    await store.ensure_bucket()
    key = new_storage_key()
    await store.put(key, b"kept")
    await store.ensure_bucket()
    assert await store.get(key) == b"kept"


async def test_only_generated_keys_are_accepted(store: S3Store, s3_endpoint: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        await store.put("../evidence.pdf", b"x")
    assert await object_keys(store, s3_endpoint) == []


def test_settings_choose_s3() -> None:
    store = build_store(
        Settings(
            attachments_backend="s3",
            attachments_s3_endpoint_url="http://127.0.0.1:9000",
            attachments_s3_bucket="complaints",
        )
    )
    assert isinstance(store, S3Store)
    assert store.bucket == "complaints"


def settings_for(database_url: str, endpoint: str, bucket: str) -> Settings:
    return Settings(
        database_url=database_url,
        attachments_backend="s3",
        attachments_s3_endpoint_url=endpoint,
        attachments_s3_bucket=bucket,
        attachments_s3_access_key_id="testing",
        attachments_s3_secret_access_key=SecretStr("testing"),
        platform=PlatformSettings(
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            temporal_address=f"127.0.0.1:{free_port()}",
        ),
    )


@pytest.fixture(scope="module")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    return database_url


async def upload_through(settings: Settings) -> tuple[httpx.Response, list[Attachment], object]:
    """One upload through a fresh app; the response, the rows it added, and the app's store."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        factory = create_session_factory(app.state.engine)
        async with factory() as session:
            before = set(await session.scalars(select(Attachment.id)))
        response = await client.post(
            "/api/v1/attachments",
            files={"file": ("My statement.pdf", sample_files.pdf(), "application/pdf")},
        )
        async with factory() as session:
            added = list(
                await session.scalars(select(Attachment).where(Attachment.id.not_in(before)))
            )
        return response, added, app.state.attachment_store


async def test_the_endpoint_stores_in_the_bucket_under_a_generated_name(
    migrated: str, store: S3Store, s3_endpoint: str
) -> None:
    response, added, app_store = await upload_through(
        settings_for(migrated, s3_endpoint, store.bucket)
    )
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "application/pdf"
    assert isinstance(app_store, S3Store)
    [row] = added
    assert row.id == response.json()["id"]
    assert await object_keys(store, s3_endpoint) == [row.storage_key]
    assert "statement" not in row.storage_key.lower()
    assert await store.get(row.storage_key) == sample_files.pdf()


async def test_an_unreachable_store_is_a_503_and_stores_nothing(migrated: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    response, added, _store = await upload_through(settings_for(migrated, nowhere, "bucket"))
    assert response.status_code == 503
    assert response.json()["code"] == "attachment_store_unavailable"
    assert "nothing was stored" in response.json()["detail"]
    assert added == []
