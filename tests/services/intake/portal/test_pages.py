"""The portal's pages over HTTP (no browser), on SQLite and PostgreSQL with the real broker."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from ombuds_intake.config import Settings
from ombuds_intake.forms.definition import load_definition
from ombuds_intake.main import create_app
from ombuds_intake.migrate import MIGRATIONS
from ombuds_intake.models import Submission
from ombuds_intake.portal.fields import field_id, field_name, path_sections
from ombuds_intake.portal.router import STATIC_DIR
from ombuds_shared.control_numbers import parse_control_number
from ombuds_shared.db import create_session_factory
from ombuds_shared.forms import HONEYPOT_CSS, HONEYPOT_FIELD, FormProtection, FormSettings
from ombuds_shared.migrations import upgrade_to_head
from support.infra import Infra
from support.portal import Page, read_page, valid_answers

DEFINITION = load_definition()
CATEGORIES = list(DEFINITION.categories)


@pytest.fixture(scope="module")
async def portal(database_url: str, infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        platform=infra.isolated_platform(),
        forms=FormSettings(min_fill_seconds=0),
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        # https: the CSRF cookie is a Secure `__Host-` cookie, as in production.
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://intake"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


async def count_submissions(client: httpx.AsyncClient) -> int:
    factory = create_session_factory(client.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Submission)) or 0)


def form_url(kind: str, category: str, anonymous: bool = False, lang: str = "en") -> str:
    url = f"/submit/form?kind={kind}&category={category}&privacy_act_acknowledged=1&lang={lang}"
    return url + ("&anonymous=1" if anonymous else "")


async def open_form(
    client: httpx.AsyncClient, category: str, anonymous: bool = False, lang: str = "en"
) -> Page:
    response = await client.get(form_url("complaint", category, anonymous, lang))
    assert response.status_code == 200, response.text
    return read_page(response.text)


async def post_form(
    client: httpx.AsyncClient, page: Page, answers: dict[str, str], lang: str = "en"
) -> httpx.Response:
    return await client.post(f"/submit/form?lang={lang}", data={**page.hidden(), **answers})


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(
    ("path", "english", "spanish"),
    [
        ("/", "Privacy Act Statement", "Declaración de la Ley de Privacidad"),
        ("/submit", "Start your submission", "Comience su envío"),
        ("/status", "Check the status of a submission", "Consulte el estado de un envío"),
        (form_url("tip", "general"), "Tell us what happened", "Cuéntenos qué sucedió"),
    ],
)
async def test_each_page_renders_in_english_and_spanish(
    portal: httpx.AsyncClient, path: str, english: str, spanish: str, lang: str
) -> None:
    separator = "&" if "?" in path else "?"
    response = await portal.get(f"{path}{separator}lang={lang}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = read_page(response.text)
    assert page.html_lang == lang
    assert (english if lang == "en" else spanish) in response.text
    assert "main-content" in page.ids
    assert "An official website" not in response.text


async def test_the_language_link_sets_a_cookie_the_next_pages_follow(
    portal: httpx.AsyncClient,
) -> None:
    await portal.get("/?lang=es")
    try:
        response = await portal.get("/status")
        assert read_page(response.text).html_lang == "es"
        assert 'hreflang="en"' in response.text
    finally:
        await portal.get("/?lang=en")


async def test_the_landing_page_shows_the_privacy_act_statement_and_the_anonymous_rule(
    portal: httpx.AsyncClient,
) -> None:
    text = (await portal.get("/?lang=en")).text
    for words in ("AUTHORITY", "PURPOSE", "DISCLOSURE", "CONSEQUENCES OF FAILURE"):
        assert words.lower() in text.lower()
    assert "Executive Order 12862" in text
    assert "DHS/ALL-016" in text
    assert "it gets no response" in text


async def test_step_one_shows_the_statement_before_any_field(portal: httpx.AsyncClient) -> None:
    text = (await portal.get("/submit?lang=en")).text
    assert text.index("Executive Order 12862") < text.index("<input")
    page = read_page(text)
    assert {"kind", "category", "anonymous", "privacy_act_acknowledged"} <= page.visible_names()
    assert "no response" in text


async def test_the_form_is_refused_without_the_acknowledgement(portal: httpx.AsyncClient) -> None:
    response = await portal.get("/submit/form?kind=complaint&category=general&lang=en")
    assert response.status_code == 422
    page = read_page(response.text)
    assert "#privacy_act_acknowledged" in page.summary_links
    assert all(link[1:] in page.ids for link in page.summary_links)
    assert not any(name.startswith("contact.") for name in page.visible_names())


async def test_a_bad_kind_or_category_goes_back_to_step_one(portal: httpx.AsyncClient) -> None:
    response = await portal.get(
        "/submit/form?kind=rant&category=nowhere&privacy_act_acknowledged=1"
    )
    assert response.status_code == 422
    page = read_page(response.text)
    assert len(page.summary_links) == 2
    assert all(link[1:] in page.ids for link in page.summary_links)


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
@pytest.mark.parametrize("category", CATEGORIES)
async def test_the_form_asks_exactly_the_paths_fields(
    portal: httpx.AsyncClient, category: str, anonymous: bool
) -> None:
    page = await open_form(portal, category, anonymous)
    # Every path offers the optional file input.
    expected = {"accuracy_certified", "files"}
    required = {field_id("path", "accuracy_certified")}
    if DEFINITION.categories[category].topics:
        expected.add("topic")
        required.add(field_id("path", "topic"))
    for section in path_sections(DEFINITION, category, anonymous):
        for name, spec in DEFINITION.fields_on_path(category, section).items():
            expected.add(field_name(section, name))
            if spec.required:
                required.add(field_id(section, name))
    assert page.visible_names() == expected
    assert page.required_labels == required - {field_id("path", "accuracy_certified")}
    for control in page.controls:
        if control.id in required and control.type != "checkbox":
            assert control.required
            assert control.attrs.get("aria-required") == "true"
    if anonymous:
        assert not any(n.startswith(("contact.", "identity.")) for n in page.visible_names())
    hidden = page.hidden()
    assert {"csrf_token", "form_issued"} <= set(hidden)
    assert HONEYPOT_FIELD in {c.name for c in page.controls}


async def test_labels_and_options_follow_the_language(portal: httpx.AsyncClient) -> None:
    spanish = (await portal.get(form_url("complaint", "trade", lang="es"))).text
    assert "Ubicación de la carga" in spanish
    assert "Retraso en la liberación" in spanish
    labels = (await portal.get(form_url("complaint", "border_patrol", lang="en"))).text
    assert "Checkpoint or location" in labels


async def test_a_post_without_csrf_is_refused(portal: httpx.AsyncClient) -> None:
    page = await open_form(portal, "general")
    data = {**page.hidden(), **valid_answers(DEFINITION, "general", False)}
    data["accuracy_certified"] = "1"
    before = await count_submissions(portal)
    without_token = {k: v for k, v in data.items() if k != "csrf_token"}
    assert (await portal.post("/submit/form", data=without_token)).status_code == 403
    forged = {**data, "csrf_token": "1700000000.AAAAAAAAAAAAAAAA." + "A" * 43}
    assert (await portal.post("/submit/form", data=forged)).status_code == 403
    async with httpx.AsyncClient(
        transport=portal._transport, base_url="https://intake"
    ) as stranger:
        response = await stranger.post("/submit/form", data=data)
    assert response.status_code == 403
    assert "cookie" in response.text
    assert await count_submissions(portal) == before


async def test_a_filled_honeypot_is_refused(portal: httpx.AsyncClient) -> None:
    page = await open_form(portal, "general")
    answers = {**valid_answers(DEFINITION, "general", False), "accuracy_certified": "1"}
    before = await count_submissions(portal)
    response = await post_form(portal, page, {**answers, HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 403
    assert "could not be accepted" in response.text
    assert await count_submissions(portal) == before


async def test_a_form_sent_too_fast_is_refused(portal: httpx.AsyncClient) -> None:
    app = portal.app  # type: ignore[attr-defined]
    relaxed = app.state.form_protection
    app.state.form_protection = FormProtection(FormSettings(min_fill_seconds=60))
    try:
        page = await open_form(portal, "general")
        answers = {**valid_answers(DEFINITION, "general", False), "accuracy_certified": "1"}
        response = await post_form(portal, page, answers, lang="es")
    finally:
        app.state.form_protection = relaxed
    assert response.status_code == 403
    assert "demasiado rápido" in response.text


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
@pytest.mark.parametrize("category", CATEGORIES)
async def test_a_valid_post_creates_a_submission_and_confirms_it(
    portal: httpx.AsyncClient, category: str, anonymous: bool
) -> None:
    page = await open_form(portal, category, anonymous)
    answers = {**valid_answers(DEFINITION, category, anonymous), "accuracy_certified": "1"}
    before = await count_submissions(portal)
    response = await post_form(portal, page, answers)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/submit/confirmation/")
    control_number = location.removeprefix("/submit/confirmation/").split("?")[0]
    assert parse_control_number(control_number) == control_number
    assert await count_submissions(portal) == before + 1
    confirmation = await portal.get(location)
    assert confirmation.status_code == 200
    assert control_number in confirmation.text
    if anonymous:
        assert "you will get no response" in confirmation.text
    else:
        assert "on its way to your email" in confirmation.text
    factory = create_session_factory(portal.app.state.engine)  # type: ignore[attr-defined]
    async with factory() as session:
        stored = await session.scalar(
            select(Submission).where(Submission.control_number == control_number)
        )
    assert stored is not None
    assert (stored.category, stored.anonymous, stored.language) == (category, anonymous, "en")
    assert stored.client_ip is not None


async def test_only_required_fields_are_enough(portal: httpx.AsyncClient) -> None:
    page = await open_form(portal, "trade", lang="es")
    answers = valid_answers(DEFINITION, "trade", False, optional=False)
    response = await post_form(portal, page, {**answers, "accuracy_certified": "1"}, "es")
    assert response.status_code == 303, response.text
    confirmation = await portal.get(response.headers["location"])
    assert "Envío recibido" in confirmation.text


async def test_an_invalid_post_shows_an_error_summary_linking_to_each_field(
    portal: httpx.AsyncClient,
) -> None:
    page = await open_form(portal, "trusted_traveler")
    answers = valid_answers(DEFINITION, "trusted_traveler", False)
    answers.update(
        {
            "contact.city": "",
            "contact.email": "not-an-email",
            "contact.phone": "call me",
            "incident.narrative": "short",
            "incident.incident_date": "2999-01-01",
            "topic": "",
        }
    )
    before = await count_submissions(portal)
    response = await post_form(portal, page, answers)
    assert response.status_code == 422
    assert await count_submissions(portal) == before
    again = read_page(response.text)
    assert again.summary_links == [
        "#f-path-topic",
        "#f-contact-email",
        "#f-contact-city",
        "#f-contact-phone",
        "#f-incident-incident_date",
        "#f-incident-narrative",
        "#f-path-accuracy_certified",
    ]
    assert all(link[1:] in again.ids for link in again.summary_links)
    for link in again.summary_links:
        control = next(c for c in again.controls if c.id == link[1:])
        assert f"{link[1:]}-error" in control.attrs.get("aria-describedby", "")
        assert f"{link[1:]}-error" in again.ids
    text = response.text
    assert "Enter city." in text
    assert "Enter an email address in the correct format" in text
    assert "must be at least 10 characters" in text
    assert "must be today or in the past" in text
    assert "Choose topic." in text
    assert "<title>Error:" in text
    assert again.control("contact.email").value == "not-an-email"
    assert again.control("contact.first_name").value == "Sample"


async def test_errors_are_explained_in_spanish(portal: httpx.AsyncClient) -> None:
    page = await open_form(portal, "general", lang="es")
    answers = valid_answers(DEFINITION, "general", False)
    answers["contact.city"] = ""
    response = await post_form(portal, page, {**answers, "accuracy_certified": "1"}, "es")
    assert response.status_code == 422
    assert "Complete el campo «Ciudad»." in response.text
    assert "Hay un problema" in response.text


async def submit_named(portal: httpx.AsyncClient, email: str) -> str:
    page = await open_form(portal, "general")
    answers = {**valid_answers(DEFINITION, "general", False), "accuracy_certified": "1"}
    answers["contact.email"] = email
    response = await post_form(portal, page, answers)
    assert response.status_code == 303
    return str(response.headers["location"]).split("/")[-1].split("?")[0]


async def lookup(portal: httpx.AsyncClient, number: str, email: str) -> httpx.Response:
    page = read_page((await portal.get("/status?lang=en")).text)
    return await portal.post(
        "/status?lang=en", data={**page.hidden(), "control_number": number, "email": email}
    )


async def test_status_lookup_with_the_right_email(portal: httpx.AsyncClient) -> None:
    number = await submit_named(portal, "status.person@example.org")
    response = await lookup(portal, number.lower(), "Status.Person@example.org")
    assert response.status_code == 200, response.text
    assert 'id="status-value">Received<' in response.text
    assert number in response.text


async def test_status_lookup_gives_one_answer_for_a_wrong_email_or_an_unknown_number(
    portal: httpx.AsyncClient,
) -> None:
    number = await submit_named(portal, "owner@example.org")
    wrong_email = await lookup(portal, number, "someone.else@example.org")
    unknown = await lookup(portal, "OMB-00000-00000-0", "owner@example.org")
    assert wrong_email.status_code == unknown.status_code == 404
    message = "No submission matches this control number and email address."
    assert message in wrong_email.text
    assert message in unknown.text
    assert read_page(unknown.text).summary_links == ["#f-status-control_number"]


async def test_status_lookup_says_check_the_number_for_a_typo(portal: httpx.AsyncClient) -> None:
    number = await submit_named(portal, "typo@example.org")
    # Swap the first two neighbours that differ: swapping equal ones changes nothing.
    i = next(i for i in range(4, 8) if number[i] != number[i + 1])
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    response = await lookup(portal, swapped, "typo@example.org")
    assert response.status_code == 422
    assert "check the number" in response.text
    empty = await lookup(portal, "", "")
    assert read_page(empty.text).summary_links == [
        "#f-status-control_number",
        "#f-status-email",
    ]


async def test_status_lookup_needs_csrf(portal: httpx.AsyncClient) -> None:
    response = await portal.post(
        "/status", data={"control_number": "OMB-00000-00000-0", "email": "a@example.org"}
    )
    assert response.status_code == 403


async def test_an_unknown_confirmation_is_not_found(portal: httpx.AsyncClient) -> None:
    assert (await portal.get("/submit/confirmation/OMB-00000-00000-0")).status_code == 404
    assert (await portal.get("/submit/confirmation/nonsense")).status_code == 404


async def test_static_assets_are_served(portal: httpx.AsyncClient) -> None:
    css = await portal.get("/static/uswds/css/uswds.min.css")
    assert css.status_code == 200
    assert ".usa-button" in css.text
    font = await portal.get(
        "/static/uswds/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2"
    )
    assert font.status_code == 200


async def test_portal_pages_are_not_in_the_api_schema(portal: httpx.AsyncClient) -> None:
    paths = (await portal.get("/openapi.json")).json()["paths"]
    assert not any(path in paths for path in ("/", "/submit", "/submit/form", "/status"))


def test_the_honeypot_style_is_the_shared_one() -> None:
    assert HONEYPOT_CSS in (STATIC_DIR / "portal.css").read_text()


def test_every_asset_the_style_sheet_needs_is_vendored() -> None:
    import re

    css = (STATIC_DIR / "uswds" / "css" / "uswds.min.css").read_text()
    wanted = set(re.findall(r"url\(\.\./((?:fonts|img)/[^)]+)\)", css)) - {"img/hero.jpg"}
    missing = [path for path in wanted if not (STATIC_DIR / "uswds" / path).is_file()]
    assert not missing
    assert Path(STATIC_DIR / "NOTICE").is_file()


def test_the_development_forms_secret_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    monkeypatch.setenv("INTAKE_STAFF_TOKEN", "a-staff-token-set-for-production")
    monkeypatch.setenv("INTAKE_VERIFICATION_SECRET", "a-verification-secret-set-for-production")
    monkeypatch.delenv("OMBUDS_FORMS_SECRET", raising=False)
    monkeypatch.delenv("INTAKE_VERIFICATION_SECRET", raising=False)
    with pytest.raises(ValueError, match="OMBUDS_FORMS_SECRET"):
        Settings()
    monkeypatch.setenv("OMBUDS_FORMS_SECRET", "x" * 40)
    with pytest.raises(ValueError, match="INTAKE_VERIFICATION_SECRET"):
        Settings()
    monkeypatch.setenv("INTAKE_VERIFICATION_SECRET", "a-verification-secret-for-production")
    assert Settings().forms.secret.get_secret_value() == "x" * 40
