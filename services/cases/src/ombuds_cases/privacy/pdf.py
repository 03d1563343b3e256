"""The export as a readable PDF (fpdf2): one section per case, each value labelled.

DejaVu Sans (Debian's fonts-dejavu-core) renders every accent the records hold, as the
notifications service's letters do; without it, Helvetica with Latin-1 only.
"""

from pathlib import Path
from typing import Any

from fpdf import FPDF

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
KIND_TITLES = {"privacy_act": "Privacy Act request", "foia": "Freedom of Information Act request"}
LIST_SECTIONS = ("notes", "timeline", "supplements", "amendments", "disclosures")
LINE = 5.0


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


class _Document:
    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="letter", unit="mm")
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(auto=True, margin=20)
        self.pdf.set_title(title)
        regular = DEJAVU_DIR / "DejaVuSans.ttf"
        self.unicode = regular.is_file()
        self.family = "DejaVu" if self.unicode else "Helvetica"
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(regular))
        self.pdf.add_page()

    def write(self, text: str, size: float = 10) -> None:
        if not self.unicode:
            text = text.encode("latin-1", "replace").decode("latin-1")
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, LINE * size / 10, text, new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, size: float = 13) -> None:
        self.pdf.ln(3)
        self.write(text, size)
        self.pdf.ln(1)

    def fields(self, values: dict[str, Any], prefix: str = "") -> None:
        for name, value in values.items():
            if isinstance(value, dict):
                self.fields(value, f"{prefix}{_label(name)} / ")
            else:
                self.write(f"{prefix}{_label(name)}: {_text(value)}")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def export_pdf(export: dict[str, Any]) -> bytes:
    """Render an export (privacy/export.py `build`); CPU-bound: call it off the event loop."""
    request = export["request"]
    title = f"{KIND_TITLES.get(request['kind'], 'Request')} {request['id']}"
    document = _Document(title)
    document.heading(title, 16)
    document.write(f"Requester: {request['requester_name']}")
    document.write(f"Received: {request['received_on']}; due: {request['due_on']}")
    document.write(f"Prepared: {export['generated_at']}")
    document.write(
        "Information about other people has been withheld where marked [REDACTED: reason]."
    )
    for case in export["cases"]:
        document.heading(f"Case {case['control_number']}", 14)
        if case.get("purged"):
            document.write("This record has been destroyed under the retention schedule.")
            continue
        document.fields({k: v for k, v in case.items() if k not in LIST_SECTIONS})
        for section in LIST_SECTIONS:
            items = case.get(section) or []
            document.heading(f"{_label(section)} ({len(items)})", 11)
            for item in items:
                document.fields({k: v for k, v in item.items() if k != "id"})
                document.pdf.ln(1)
    return document.output()
