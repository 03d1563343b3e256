"""The client's file name is kept as metadata only, and only once made harmless."""

import pytest

from ombuds_intake.attachments.service import sanitise_filename


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("evidence.pdf", "evidence.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Desktop\\receipt.jpg", "receipt.jpg"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("line\nbreak\x00.png", "linebreak.png"),
        ("  spaced    out  .pdf ", "spaced out .pdf"),
        ("..", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("Foto de la revisión.jpg", "Foto de la revisión.jpg"),
    ],
)
def test_names_are_cleaned(given: str | None, kept: str) -> None:
    assert sanitise_filename(given) == kept


def test_long_names_are_cut_to_255_keeping_the_extension() -> None:
    kept = sanitise_filename("x" * 400 + ".jpeg")
    assert len(kept) == 255
    assert kept.endswith("x.jpeg")
    assert len(sanitise_filename("y" * 400)) == 255
