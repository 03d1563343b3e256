"""The type of a file comes from its bytes: signatures, and a check that it is not cut short."""

import pytest

from ombuds_intake.attachments.errors import (
    EmptyFileError,
    TruncatedFileError,
    UnsupportedTypeError,
)
from ombuds_intake.attachments.sniffing import JPEG, PDF, PNG, TRAILER_ALLOWANCE, sniff
from support import sample_files


@pytest.mark.parametrize(
    ("data", "expected"),
    [(sample_files.pdf(), PDF), (sample_files.jpeg(), JPEG), (sample_files.png(), PNG)],
    ids=["pdf", "jpeg", "png"],
)
def test_each_accepted_type_is_recognised(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (sample_files.windows_program(), "a Windows program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 57, "a Linux program"),
        (b"Dear officer,\nplease find my complaint attached.\n", "plain text"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "an HTML page"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive or an Office document"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a HEIC photo"),
        (bytes(range(256)) * 4, "an unrecognised kind of file"),
    ],
    ids=["exe", "elf", "text", "html", "svg", "zip", "gif", "heic", "binary"],
)
def test_anything_else_is_refused_saying_what_it_looks_like(data: bytes, looks_like: str) -> None:
    with pytest.raises(UnsupportedTypeError) as refused:
        sniff(data)
    message = refused.value.message
    assert message.startswith("only PDF, JPEG and PNG files are accepted (this file looks like ")
    assert looks_like in message
    assert refused.value.status_code == 422


def test_a_pdf_signature_later_in_the_file_does_not_count() -> None:
    # A polyglot trick: HTML first, a PDF appended; only offset 0 decides.
    with pytest.raises(UnsupportedTypeError, match="an HTML page"):
        sniff(b"<html><body>hi</body></html>\n" + sample_files.pdf())


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(EmptyFileError, match="the file is empty"):
        sniff(b"")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (sample_files.png()[:-12], "no IEND end chunk"),
        (sample_files.png()[:40], "no IEND end chunk"),
        (sample_files.png()[:8] + b"\x00" * 32, "no image header"),
        (sample_files.jpeg()[:-2], "no end-of-image marker"),
        (sample_files.jpeg()[:30], "no image data"),
        (sample_files.pdf()[:-6], "does not end with %%EOF"),
        (sample_files.pdf()[:200], "does not end with %%EOF"),
    ],
    ids=["png-end", "png-middle", "png-header", "jpeg-end", "jpeg-header", "pdf-end", "pdf-middle"],
)
def test_a_file_cut_short_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(TruncatedFileError) as refused:
        sniff(data)
    assert reason in refused.value.message
    assert "incomplete" in refused.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [(sample_files.pdf().rstrip(b"\n"), PDF), (sample_files.jpeg(), JPEG)],
    ids=["pdf", "jpeg"],
)
def test_up_to_1_kib_after_the_end_marker_is_tolerated(data: bytes, expected: str) -> None:
    assert sniff(data + b"\x00" * TRAILER_ALLOWANCE) == expected
    with pytest.raises(TruncatedFileError):
        sniff(data + b"\x00" * (TRAILER_ALLOWANCE + 1))


def test_a_jpeg_end_marker_before_the_image_data_does_not_count() -> None:
    # FF D9 inside an early segment (a thumbnail) must not make a cut-off photo look whole.
    whole = sample_files.jpeg()
    scan = whole.index(b"\xff\xda")
    cut = whole[:scan] + b"\xff\xfe\x00\x04\xff\xd9" + whole[scan:-2]
    with pytest.raises(TruncatedFileError):
        sniff(cut)
