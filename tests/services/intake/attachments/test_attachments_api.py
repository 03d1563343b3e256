"""`POST /api/v1/attachments` and the claim by a submission, on SQLite and PostgreSQL."""

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_devstack.processes import free_port
from ombuds_intake.attachments import repository
from ombuds_intake.attachments.errors import (
    AttachmentAlreadyClaimedError,
    AttachmentError,
    DuplicateAttachmentError,
    TooManyAttachmentsError,
    UnknownAttachmentError,
)
from ombuds_intake.attachments.models import ATTACHMENT_ID_PATTERN, Attachment
from ombuds_intake.attachments.service import AttachmentLimits, claim_for_submission
from ombuds_intake.config import Settings
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork, create_session_factory
from ombuds_shared.migrations import upgrade_to_head
from ombuds_shared.settings import PlatformSettings
from support import sample_files

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


@dataclass
class Intake:
    client: httpx.AsyncClient
    app: FastAPI
    attachments_dir: Path

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        return create_session_factory(self.app.state.engine)

    async def stored(self) -> tuple[int, int]:
        """Attachment rows and files on disk (the tests of a module share both)."""
        async with self.session_factory() as session:
            rows = await session.scalar(select(func.count()).select_from(Attachment))
        files = [path for path in self.attachments_dir.rglob("*") if path.is_file()]
        return int(rows or 0), len(files)

    async def row(self, attachment_id: str) -> Attachment:
        async with self.session_factory() as session:
            attachment = await session.get(Attachment, attachment_id)
        assert attachment is not None
        return attachment

    async def upload(
        self, data: bytes, filename: str = "evidence.pdf", declared: str = "application/pdf"
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/attachments", files={"file": (filename, data, declared)}
        )

    async def uploaded_id(self, data: bytes | None = None) -> str:
        response = await self.upload(data or sample_files.png(), "photo.png", "image/png")
        assert response.status_code == 201, response.text
        attachment_id: str = response.json()["id"]
        return attachment_id


def unreachable_platform() -> PlatformSettings:
    """The endpoint needs no broker: the relay and consumer just keep retrying."""
    return PlatformSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        temporal_address=f"127.0.0.1:{free_port()}",
    )


@pytest.fixture(scope="module")
async def intake(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Intake]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    attachments_dir = tmp_path_factory.mktemp("attachments")
    settings = Settings(
        database_url=database_url,
        attachments_dir=str(attachments_dir),
        platform=unreachable_platform(),
        # Every request here comes from one address; the rate limit has tests of its own.
        rate_limit_burst=10_000,
        rate_limit_per_minute=10_000,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client,
    ):
        yield Intake(client, app, attachments_dir)


async def test_upload_is_typed_by_content_and_stored_under_a_generated_name(
    intake: Intake,
) -> None:
    before = await intake.stored()
    data = sample_files.png()
    # Named and declared as a PDF; the bytes say PNG, and the bytes win.
    response = await intake.upload(data, "../../Scan of my passport.pdf", "application/pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(ATTACHMENT_ID_PATTERN, body["id"])
    assert body == {
        "id": body["id"],
        "content_type": "image/png",
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": "Scan of my passport.pdf",
    }
    assert await intake.stored() == (before[0] + 1, before[1] + 1)

    row = await intake.row(body["id"])
    assert (row.content_type, row.size_bytes, row.sha256) == (
        "image/png",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert row.original_filename == "Scan of my passport.pdf"
    assert row.uploader_ip
    assert row.control_number is None
    assert row.claimed_at is None
    assert row.uploaded_at.tzinfo is not None

    stored_file = intake.attachments_dir / row.storage_key
    assert stored_file.read_bytes() == data
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", row.storage_key)
    on_disk = [str(path) for path in intake.attachments_dir.rglob("*")]
    assert not any("passport" in name or name.endswith(".pdf") for name in on_disk)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (sample_files.pdf(), "application/pdf"),
        (sample_files.jpeg(), "image/jpeg"),
        (sample_files.png(), "image/png"),
    ],
    ids=["pdf", "jpeg", "png"],
)
async def test_each_accepted_type(intake: Intake, data: bytes, content_type: str) -> None:
    response = await intake.upload(data, "file", "application/octet-stream")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == content_type
    assert (await intake.row(response.json()["id"])).content_type == content_type


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (sample_files.windows_program(), "a Windows program"),
        (b"<html><body><script>steal()</script></body></html>", "an HTML page"),
        (b"just some words, not a document", "plain text"),
    ],
    ids=["exe", "html", "text"],
)
async def test_a_renamed_file_of_another_type_is_a_422(
    intake: Intake, data: bytes, looks_like: str
) -> None:
    before = await intake.stored()
    response = await intake.upload(data, "statement.pdf", "application/pdf")
    assert response.status_code == 422
    assert response.json() == {
        "detail": f"only PDF, JPEG and PNG files are accepted (this file looks like {looks_like})",
        "code": "attachment_type_not_accepted",
    }
    assert await intake.stored() == before


async def test_a_file_cut_short_is_a_422(intake: Intake) -> None:
    before = await intake.stored()
    response = await intake.upload(sample_files.png()[:-12], "photo.png", "image/png")
    assert response.status_code == 422
    assert response.json()["code"] == "attachment_incomplete"
    assert "this PNG file is incomplete" in response.json()["detail"]
    assert await intake.stored() == before


async def test_an_empty_file_is_a_422(intake: Intake) -> None:
    response = await intake.upload(b"", "empty.pdf")
    assert response.status_code == 422
    assert response.json() == {"detail": "the file is empty", "code": "attachment_empty"}


async def test_a_file_over_10_mib_is_a_413(intake: Intake) -> None:
    before = await intake.stored()
    pdf = sample_files.pdf()
    over = pdf[:-6] + b"%" * (10 * MIB + 1 - len(pdf)) + pdf[-6:]
    assert len(over) == 10 * MIB + 1
    response = await intake.upload(over)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "file is larger than 10 MiB",
        "code": "attachment_too_large",
    }
    assert await intake.stored() == before


async def test_exactly_10_mib_is_accepted(intake: Intake) -> None:
    pdf = sample_files.pdf()
    limit = pdf[:-6] + b"%" * (10 * MIB - len(pdf)) + pdf[-6:]
    response = await intake.upload(limit)
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == 10 * MIB


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(intake: Intake) -> None:
    before = await intake.stored()
    response = await intake.upload(b"%PDF-" + b"x" * (11 * MIB))
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 10 MiB.",
        "code": "too_large",
    }
    assert await intake.stored() == before


async def test_other_paths_keep_the_1_mib_limit(intake: Intake) -> None:
    response = await intake.client.post(
        "/api/v1/submissions",
        content=b"{" + b" " * (2 * MIB) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than 1 MiB."


async def test_the_file_field_is_required(intake: Intake) -> None:
    response = await intake.client.post(
        "/api/v1/attachments", files={"document": ("a.pdf", sample_files.pdf(), "application/pdf")}
    )
    assert response.status_code == 422
    assert {(e["field"], e["rule"]) for e in response.json()["errors"]} == {("file", "missing")}


async def test_a_failed_commit_leaves_no_file_behind(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await intake.stored()

    async def database_gone(self: UnitOfWork) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr(UnitOfWork, "commit", database_gone)
    response = await intake.upload(sample_files.pdf())
    assert response.status_code == 503
    assert await intake.stored() == before


# The claim: what the submission does with the ids, inside its own transaction.


async def claim(
    intake: Intake, ids: list[str], control_number: str, limits: AttachmentLimits | None = None
) -> list[Attachment]:
    async with UnitOfWork(intake.session_factory) as uow:
        claimed = await claim_for_submission(
            uow.session, ids, control_number, limits or AttachmentLimits()
        )
        await uow.commit()
    return claimed


async def test_a_submission_claims_its_attachments(intake: Intake) -> None:
    ids = [await intake.uploaded_id(), await intake.uploaded_id(sample_files.pdf())]
    number = new_control_number()
    claimed = await claim(intake, ids, number)
    assert [a.id for a in claimed] == ids
    assert {a.control_number for a in claimed} == {number}
    for attachment_id in ids:
        row = await intake.row(attachment_id)
        assert row.control_number == number
        assert row.claimed_at is not None
    async with intake.session_factory() as session:
        listed = await repository.for_submission(session, number)
    assert sorted(a.id for a in listed) == sorted(ids)


async def test_no_attachments_is_fine(intake: Intake) -> None:
    assert await claim(intake, [], new_control_number()) == []


async def refused(
    intake: Intake, ids: list[str], control_number: str, limits: AttachmentLimits | None = None
) -> AttachmentError:
    with pytest.raises(AttachmentError) as error:
        await claim(intake, ids, control_number, limits)
    assert error.value.status_code == 422
    return error.value


async def test_an_unknown_id_is_refused_by_name_and_nothing_is_claimed(intake: Intake) -> None:
    good = await intake.uploaded_id()
    unknown = "att_" + "Z" * 26
    error = await refused(intake, [good, unknown], new_control_number())
    assert isinstance(error, UnknownAttachmentError)
    assert error.attachment_id == unknown
    assert error.message == f"attachment {unknown} was not found; please upload the file again"
    assert (await intake.row(good)).control_number is None


async def test_an_attachment_belongs_to_one_submission_only(intake: Intake) -> None:
    attachment_id = await intake.uploaded_id()
    first = new_control_number()
    await claim(intake, [attachment_id], first)
    error = await refused(intake, [attachment_id], new_control_number())
    assert isinstance(error, AttachmentAlreadyClaimedError)
    assert error.code == "attachment_already_used"
    assert error.message == f"attachment {attachment_id} is already part of another submission"
    assert (await intake.row(attachment_id)).control_number == first


async def test_at_most_five_attachments_per_submission(intake: Intake) -> None:
    ids = [await intake.uploaded_id() for _ in range(6)]
    error = await refused(intake, ids, new_control_number())
    assert isinstance(error, TooManyAttachmentsError)
    assert error.code == "too_many_attachments"
    assert error.message == "a submission can have at most 5 attachments; 6 were given"
    assert {(await intake.row(i)).control_number for i in ids} == {None}
    # Five is allowed; the limit is a setting.
    assert len(await claim(intake, ids[:5], new_control_number())) == 5
    error = await refused(intake, [ids[5]], new_control_number(), AttachmentLimits(max_count=0))
    assert isinstance(error, TooManyAttachmentsError)


async def test_the_same_id_twice_is_refused(intake: Intake) -> None:
    attachment_id = await intake.uploaded_id()
    error = await refused(intake, [attachment_id, attachment_id], new_control_number())
    assert isinstance(error, DuplicateAttachmentError)
    assert error.attachment_id == attachment_id


async def test_two_submissions_racing_for_one_attachment(intake: Intake) -> None:
    attachment_id = await intake.uploaded_id()
    numbers = [new_control_number(), new_control_number()]

    async def claim_slowly(number: str, pause: float) -> None:
        async with UnitOfWork(intake.session_factory) as uow:
            await claim_for_submission(uow.session, [attachment_id], number)
            await asyncio.sleep(pause)
            await uow.commit()

    results = await asyncio.gather(
        claim_slowly(numbers[0], 0.3), claim_slowly(numbers[1], 0), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in results) == [
        "AttachmentAlreadyClaimedError",
        "NoneType",
    ]
    winner = numbers[results.index(None)]
    assert (await intake.row(attachment_id)).control_number == winner
