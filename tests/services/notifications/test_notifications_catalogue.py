"""Every template in the catalogue renders in both languages with exactly its listed variables."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from ombuds_notifications.catalogue import TEMPLATES, TemplateSpec
from ombuds_notifications.pdf import letter_blocks
from ombuds_notifications.rendering import (
    SUPPORTED_LANGUAGES,
    TEMPLATES_DIR,
    html_alternative,
    lifecycle_letter,
    render,
)

CONTROL_NUMBER = "OMB-3F7KQ-9XW2M-T"
SAMPLES: dict[str, Any] = {
    "control_number": CONTROL_NUMBER,
    "recipient_name": "Ana Pérez",
    "kind": "complaint",
    "status_url": "https://portal.example/status",
    "question": "Which port of entry was it?",
    "reply_url": "https://portal.example/manage",
    "due_date": "2026-12-18",
    "status": "assigned",
    "agency": "DHS Office for Civil Rights and Civil Liberties",
    "agency_name": "Federal Bureau of Investigation",
    "disposition": "substantiated",
    "resolution": "The officer was retrained on <courtesy> & care.",
    "reason": "New evidence arrived.",
    "overdue": "triage (5 business days)",
    "due_at": "20 November 2026",
    "case_url": "https://staff.example/cases/OMB-3F7KQ-9XW2M-T",
    "referral_id": "6f1c2b9e-0000-4000-8000-000000000001",
    "action": "referral",
    "purpose": "investigation of a civil liberties complaint",
    "nature": "complaint narrative and contact details",
    "deadline": "5 March 2031",
}


def _variables(spec: TemplateSpec) -> dict[str, Any]:
    return {name: SAMPLES[name] for name in spec.variables}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("spec", TEMPLATES.values(), ids=lambda spec: spec.name)
def test_every_template_renders_with_its_listed_variables(
    spec: TemplateSpec, language: str
) -> None:
    rendered = render(spec.name, language, **_variables(spec))

    assert rendered.language == language
    assert CONTROL_NUMBER in rendered.subject
    assert CONTROL_NUMBER in rendered.body
    assert "{{" not in rendered.body
    assert "{%" not in rendered.body
    # Every variable with text of its own shows up in the message (flags and URLs may not).
    shown = {"question", "agency", "resolution", "reason", "overdue", "purpose", "nature"}
    for name in spec.variables & shown:
        assert SAMPLES[name] in rendered.body, name


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("spec", TEMPLATES.values(), ids=lambda spec: spec.name)
def test_a_missing_variable_is_an_error_not_a_blank(spec: TemplateSpec, language: str) -> None:
    # StrictUndefined: the catalogue lists every variable the template really needs.
    required = sorted(spec.variables - {"status_url", "reply_url", "case_url"})
    variables = _variables(spec)
    del variables[required[0]]
    with pytest.raises(UndefinedError):
        render(spec.name, language, **variables)


def test_the_catalogue_names_every_message_template_in_every_language() -> None:
    on_disk = {
        path.name.split(".")[0]
        for path in Path(TEMPLATES_DIR).glob("*.txt")
        if not path.name.startswith(("_", "verification_"))
    }
    assert on_disk == set(TEMPLATES)
    for name in TEMPLATES:
        for language in SUPPORTED_LANGUAGES:
            assert (Path(TEMPLATES_DIR) / f"{name}.{language}.txt").is_file()


def test_the_html_alternative_has_the_same_words_escaped() -> None:
    rendered = render("closure", "en", **_variables(TEMPLATES["closure"]))
    html = html_alternative(rendered)

    assert "The officer was retrained on &lt;courtesy&gt; &amp; care." in html
    assert "<courtesy>" not in html
    assert '<html lang="en">' in html
    assert "Outcome: substantiated" in html


def test_a_lifecycle_letter_carries_address_number_date_and_body_in_spanish() -> None:
    rendered = render("reopening", "es", **_variables(TEMPLATES["reopening"]))
    html = lifecycle_letter(
        rendered,
        CONTROL_NUMBER,
        "Ana Pérez",
        ["Calle Año 5", "San José, CA 95112", "USA"],
        date(2026, 11, 23),
    )

    blocks = letter_blocks(html)
    assert ["Ana Pérez", "Calle Año 5", "San José, CA 95112", "USA"] in blocks
    assert ["23 de noviembre de 2026"] in blocks
    assert [f"Número de control: {CONTROL_NUMBER}"] in blocks
    assert ["New evidence arrived."] in blocks
