"""Printable letters as PDF (fpdf2), made from the letter's stored HTML.

The HTML is our own template's output, so a small parser is enough: each paragraph and each
address line becomes a block of text. DejaVu Sans (Debian's fonts-dejavu-core) renders every
Spanish accent; without it the core Helvetica font takes Latin-1, which covers Spanish too.
"""

from html.parser import HTMLParser
from pathlib import Path

from fpdf import FPDF

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_BLOCK_TAGS = frozenset({"p", "address", "h1", "h2", "li"})
# An address block's lines are spans: each ends a line of the block.
_LINE_TAGS = frozenset({"br", "span"})
_SKIPPED_TAGS = frozenset({"style", "title", "script"})


class _LetterText(HTMLParser):
    """Collects the text blocks of a letter in reading order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = []
        self._current: list[str] | None = None
        self._line = ""
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS and self._current is None:
            self._current = []
            self._line = ""
        elif tag == "br" and self._current is not None:
            self._end_line()

    def _end_line(self) -> None:
        assert self._current is not None
        self._current.append(self._line)
        self._line = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _LINE_TAGS and self._current is not None:
            self._end_line()
        elif tag in _SKIPPED_TAGS:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS and self._current is not None:
            self._current.append(self._line)
            lines = [" ".join(line.split()) for line in self._current]
            self.blocks.append([line for line in lines if line])
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None and not self._skipping:
            self._line += data


def letter_blocks(html: str) -> list[list[str]]:
    """The letter's paragraphs (each a list of lines), as printed."""
    parser = _LetterText()
    parser.feed(html)
    parser.close()
    return [block for block in parser.blocks if block]


def _font(pdf: FPDF) -> tuple[str, bool]:
    regular = DEJAVU_DIR / "DejaVuSans.ttf"
    if regular.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        return "DejaVu", True
    return "Helvetica", False


def letter_pdf(html: str, title: str) -> bytes:
    """Render the letter to PDF bytes (CPU-bound: call it off the event loop)."""
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.set_title(title)
    family, unicode_font = _font(pdf)
    pdf.add_page()
    pdf.set_font(family, size=11)
    for block in letter_blocks(html):
        text = "\n".join(block)
        if not unicode_font:
            text = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())
