"""The acknowledgement reads well in English and Spanish and always names the control number."""

import pytest

from ombuds_notifications.rendering import ACKNOWLEDGEMENT, pick_language, render

CONTROL_NUMBER = "OMB-3F7KQ-9XW2M-T"


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", f"We received your complaint: control number {CONTROL_NUMBER}"),
        ("es", f"Recibimos su queja: número de control {CONTROL_NUMBER}"),
    ],
)
def test_subject_and_body(language: str, subject: str) -> None:
    message = render(
        ACKNOWLEDGEMENT,
        language,
        control_number=CONTROL_NUMBER,
        recipient_name="Ana Pérez",
        kind="complaint",
        status_url=None,
    )

    assert (message.template, message.language, message.subject) == (
        ACKNOWLEDGEMENT,
        language,
        subject,
    )
    assert not message.body.startswith(("Subject:", "\n"))
    assert "Ana Pérez" in message.body
    assert message.body.count(CONTROL_NUMBER) >= 2  # issued, then how to quote it
    assert "{{" not in message.body
    assert "{%" not in message.body


def test_english_says_what_happens_next_and_how_to_check() -> None:
    body = render(
        ACKNOWLEDGEMENT,
        "en",
        control_number=CONTROL_NUMBER,
        recipient_name="Ana",
        kind="question",
        status_url="https://ombuds.example/status",
    ).body

    assert "What happens next" in body
    assert "How to check the status" in body
    assert (
        f"go to https://ombuds.example/status and enter your control number, {CONTROL_NUMBER}"
        in body
    )


def test_spanish_is_spanish() -> None:
    message = render(
        ACKNOWLEDGEMENT,
        "es",
        control_number=CONTROL_NUMBER,
        recipient_name="Ana",
        kind="compliment",
        status_url="https://ombuds.example/estado",
    )

    assert message.subject.startswith("Recibimos su felicitación")
    assert "Estimado(a) Ana:" in message.body
    assert "Próximos pasos" in message.body
    assert "Cómo consultar el estado de su caso" in message.body
    assert "visite https://ombuds.example/estado e ingrese su número de control" in message.body
    for english in ("What happens", "control number", "Thank you"):
        assert english not in message.body


def test_an_unknown_kind_still_reads() -> None:
    message = render(
        ACKNOWLEDGEMENT,
        "en",
        control_number=CONTROL_NUMBER,
        recipient_name="A",
        kind="x",
        status_url=None,
    )
    assert message.subject.startswith("We received your submission")


@pytest.mark.parametrize(
    ("requested", "chosen"),
    [
        ("en", "en"),
        ("es", "es"),
        ("ES", "es"),
        ("es-MX", "es"),
        ("es_US", "es"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_pick_language(requested: str, chosen: str) -> None:
    assert pick_language(requested) == chosen
