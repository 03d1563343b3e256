"""Decide what an uploaded file is from its bytes alone; its name and declared type are ignored.

Accepted, each recognised by its signature at offset 0 and refused when visibly cut short:

- PDF  `%PDF-`; complete if `%%EOF` appears in the last 1 KiB (the tolerance Acrobat applies).
- JPEG `FF D8 FF`; complete if it has a start-of-scan marker (`FF DA`) and, after it, an
  end-of-image marker (`FF D9`) in the last 1 KiB (some cameras pad or append a short trailer).
- PNG  `89 50 4E 47 0D 0A 1A 0A` followed by the IHDR chunk; complete if the IEND chunk (whose
  12 bytes never vary) is present, since it is always the last chunk.

These are cheap structural checks, not a validation of the whole file: they catch the renamed
program and the upload cut off half way, not a deliberately malformed document.
"""

from ombuds_intake.attachments.errors import (
    EmptyFileError,
    TruncatedFileError,
    UnsupportedTypeError,
)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
ACCEPTED_TYPES = frozenset({PDF, JPEG, PNG})

TRAILER_ALLOWANCE = 1024

_PDF_HEADER = b"%PDF-"
_PDF_EOF = b"%%EOF"
_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_SOS = b"\xff\xda"
_JPEG_EOI = b"\xff\xd9"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IHDR = b"\x00\x00\x00\x0dIHDR"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"

# What a refused file most likely is, so the message can say something useful.
_LOOKALIKES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a macOS program"),
    (b"#!", "a script"),
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"%!PS", "a PostScript document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


def sniff(data: bytes) -> str:
    """The content type of `data`, judged by its bytes alone; anything else is refused."""
    if not data:
        raise EmptyFileError("the file is empty")
    if data.startswith(_PDF_HEADER):
        _check_pdf(data)
        return PDF
    if data.startswith(_JPEG_SOI):
        _check_jpeg(data)
        return JPEG
    if data.startswith(_PNG_SIGNATURE):
        _check_png(data)
        return PNG
    raise UnsupportedTypeError(
        f"only PDF, JPEG and PNG files are accepted (this file looks like {describe(data)})"
    )


def describe(data: bytes) -> str:
    """A plain-words guess at what a refused file is, for the error message."""
    for signature, description in _LOOKALIKES:
        if data.startswith(signature):
            return description
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        return "a WebP image"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "a HEIC photo; please save it as JPEG"
        return "a video or other media file"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "an HTML page"
    if b"<svg" in head:
        return "an SVG image"
    if head.startswith(b"<?xml"):
        return "an XML document"
    if _is_text(data[:4096]):
        return "plain text"
    return "an unrecognised kind of file"


def _is_text(sample: bytes) -> bool:
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a multi-byte character is still text.
        if error.start < len(sample) - 3:
            return False
        text = sample[: error.start].decode("utf-8")
    return all(char.isprintable() or char in "\t\r\n\f" for char in text)


def _incomplete(kind: str, reason: str) -> TruncatedFileError:
    return TruncatedFileError(
        f"this {kind} file is incomplete or damaged ({reason}); it may have been cut off while it was "
        "copied or uploaded, please send it again"
    )


def _check_pdf(data: bytes) -> None:
    if data.find(_PDF_EOF, max(0, len(data) - TRAILER_ALLOWANCE - len(_PDF_EOF))) == -1:
        raise _incomplete("PDF", "it does not end with %%EOF")


def _check_jpeg(data: bytes) -> None:
    scan = data.find(_JPEG_SOS)
    if scan == -1:
        raise _incomplete("JPEG", "it has no image data")
    tail = max(scan + len(_JPEG_SOS), len(data) - TRAILER_ALLOWANCE - len(_JPEG_EOI))
    if data.find(_JPEG_EOI, tail) == -1:
        raise _incomplete("JPEG", "it has no end-of-image marker")


def _check_png(data: bytes) -> None:
    after_signature = len(_PNG_SIGNATURE)
    if data[after_signature : after_signature + len(_PNG_IHDR)] != _PNG_IHDR:
        raise _incomplete("PNG", "it has no image header")
    if data.find(_PNG_IEND, after_signature + len(_PNG_IHDR)) == -1:
        raise _incomplete("PNG", "it has no IEND end chunk")
