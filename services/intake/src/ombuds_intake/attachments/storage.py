"""Where attachment bytes live: outside the database, under generated names.

The filesystem is the default; an S3-compatible service (AWS S3, MinIO, Ceph, ...) is chosen
with `INTAKE_ATTACHMENTS_BACKEND=s3`.
"""

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from ombuds_intake.attachments.errors import StoreUnavailableError
from ombuds_intake.config import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.literals import BucketLocationConstraintType

# Generated keys only: no dots (so no `..` and no clash with temporary files), no backslashes.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_-]*)*$")
_TEMP_PREFIX = ".partial-"


class StoredObjectNotFound(LookupError):
    """The store has nothing under this key."""


class AttachmentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    if len(key) > 200 or not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FilesystemStore:
    """Files under `root`, written atomically (temporary file, then rename), readable only by us."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path_for(key), data)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path_for(key).read_bytes)
        except FileNotFoundError as error:
            raise StoredObjectNotFound(key) from error

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_for(key).unlink, missing_ok=True)

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file 0600; a reader never sees a half-written attachment because
        # the name appears only with os.replace, after the bytes are on disk.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class S3Store:
    """Objects in one bucket of an S3-compatible service, through aiobotocore.

    A client is opened per operation: uploads are rare next to everything else intake does,
    and this leaves nothing to close when the service stops. Without explicit keys the usual
    AWS credential chain applies (environment, profile, instance role).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self._endpoint_url = endpoint_url
        self._region = region
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self._session = get_session()
        self._config = AioConfig(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            # Self-hosted services (MinIO and the like) are addressed by path, not by subdomain.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )

    def _client(self) -> "contextlib.AbstractAsyncContextManager[S3Client]":
        return self._session.create_client(
            "s3",
            endpoint_url=self._endpoint_url,
            region_name=self._region,
            aws_access_key_id=self._access_key_id,
            aws_secret_access_key=self._secret_access_key,
            config=self._config,
        )

    async def put(self, key: str, data: bytes) -> None:
        async with self._unavailable_as_503(), self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=check_key(key), Body=data)

    async def get(self, key: str) -> bytes:
        async with self._unavailable_as_503(), self._client() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=check_key(key))
            except ClientError as error:
                if _error_code(error) in ("NoSuchKey", "404"):
                    raise StoredObjectNotFound(key) from error
                raise
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def delete(self, key: str) -> None:
        async with self._unavailable_as_503(), self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=check_key(key))

    async def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (development and tests; production provisions it)."""
        async with self._unavailable_as_503(), self._client() as s3:
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError as error:
                if _error_code(error) not in ("404", "NoSuchBucket"):
                    raise
                if self._region == "us-east-1":
                    await s3.create_bucket(Bucket=self.bucket)
                else:
                    await s3.create_bucket(
                        Bucket=self.bucket,
                        CreateBucketConfiguration={
                            "LocationConstraint": cast("BucketLocationConstraintType", self._region)
                        },
                    )

    @contextlib.asynccontextmanager
    async def _unavailable_as_503(self) -> AsyncIterator[None]:
        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailableError(
                "The attachment store cannot be reached; nothing was stored. "
                "Please try again shortly."
            ) from error


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def build_store(settings: Settings) -> AttachmentStore:
    """The store the settings choose: a folder by default, an S3-compatible bucket on request."""
    if settings.attachments_backend == "s3":
        secret = settings.attachments_s3_secret_access_key
        return S3Store(
            settings.attachments_s3_bucket,
            endpoint_url=settings.attachments_s3_endpoint_url,
            region=settings.attachments_s3_region,
            access_key_id=settings.attachments_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return FilesystemStore(settings.attachments_dir)
