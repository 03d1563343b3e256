"""Files attached on the portal's submission form: stored, then claimed by the submission."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake.attachments.models import Attachment
from ombuds_intake.config import Settings
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import Submission
from ombuds_shared.db import create_session_factory
from ombuds_shared.forms import FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support import sample_files
from support.infra import Infra
from support.portal import read_page, valid_answers

DEFINITION = load_definition()
FORM = "/submit/form?kind=complaint&category=general&privacy_act_acknowledged=1&lang={lang}"


@pytest.fixture(scope="module")
async def portal(
    database_url: str, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        platform=infra.isolated_platform(),
        forms=FormSettings(min_fill_seconds=0),
        attachments_dir=str(tmp_path_factory.mktemp("attachments")),
        attachment_max_count=2,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://intake"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


def sessions(client: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(client.app.state.engine)  # type: ignore[attr-defined]


async def unclaimed(client: httpx.AsyncClient) -> int:
    async with sessions(client)() as session:
        count = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.control_number.is_(None))
        )
    return int(count or 0)


async def send(
    client: httpx.AsyncClient, files: list[tuple[str, tuple[str, bytes, str]]], lang: str = "en"
) -> httpx.Response:
    page = read_page((await client.get(FORM.format(lang=lang))).text)
    answers = {**valid_answers(DEFINITION, "general", False), "accuracy_certified": "1"}
    return await client.post(
        f"/submit/form?lang={lang}", data={**page.hidden(), **answers}, files=files
    )


async def test_the_form_offers_a_labelled_optional_file_input(portal: httpx.AsyncClient) -> None:
    page = read_page((await portal.get(FORM.format(lang="es"))).text)
    control = page.control("files")
    assert control.type == "file"
    assert "multiple" in control.attrs
    assert not control.required
    assert "f-path-files" not in page.required_labels


async def test_files_sent_with_the_form_belong_to_the_submission(
    portal: httpx.AsyncClient,
) -> None:
    response = await send(
        portal,
        [
            ("files", ("letter.pdf", sample_files.pdf(), "application/pdf")),
            ("files", ("photo.jpg", sample_files.jpeg(), "image/jpeg")),
        ],
    )
    assert response.status_code == 303, response.text
    number = response.headers["location"].split("/")[-1].split("?")[0]
    async with sessions(portal)() as session:
        submission = await session.scalar(
            select(Submission).where(Submission.control_number == number)
        )
        files = list(
            await session.scalars(select(Attachment).where(Attachment.control_number == number))
        )
    assert submission is not None
    assert len(submission.original["attachments"]) == 2
    assert sorted(f.content_type for f in files) == ["application/pdf", "image/jpeg"]
    assert {f.id for f in files} == set(submission.original["attachments"])


async def test_an_empty_file_input_is_no_attachment(portal: httpx.AsyncClient) -> None:
    response = await send(portal, [("files", ("", b"", "application/octet-stream"))])
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    ("files", "english", "spanish"),
    [
        (
            [("files", ("setup.pdf", sample_files.windows_program(), "application/pdf"))],
            "The file must be a PDF, JPEG or PNG.",
            "El archivo debe ser PDF, JPEG o PNG.",
        ),
        (
            [("files", (f"{n}.png", sample_files.png(), "image/png")) for n in range(3)],
            "Choose at most 2 files.",
            "Elija como máximo 2 archivos.",
        ),
    ],
    ids=["wrong-type", "too-many"],
)
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_a_refused_file_is_named_in_the_error_summary(
    portal: httpx.AsyncClient,
    files: list[tuple[str, tuple[str, bytes, str]]],
    english: str,
    spanish: str,
    lang: str,
) -> None:
    before = await unclaimed(portal)
    response = await send(portal, files, lang)
    assert response.status_code == 422
    assert (english if lang == "en" else spanish) in response.text
    page = read_page(response.text)
    assert page.summary_links == ["#f-path-files"]
    assert page.control("files").attrs.get("aria-invalid") == "true"
    # Nothing was kept for a refused type or count.
    assert await unclaimed(portal) == before
