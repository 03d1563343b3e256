"""Message templates: `templates/<name>.<language>.txt`, a `Subject:` line, then the body.

Printable letters are HTML: `templates/<name>.<language>.html`, autoescaped, with the subject
exported by the template as `{% set subject = ... %}`.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).parent / "templates"
ACKNOWLEDGEMENT = "acknowledgement"
ACKNOWLEDGEMENT_LETTER = "acknowledgement_letter"
SUPPORTED_LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
_SUBJECT_PREFIX = "Subject:"

# Plain-text mail: nothing to escape. Templates are read once and kept (no auto-reload), so
# rendering does no file I/O after the first message.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)


# Letters carry names and addresses typed in by staff from paper: everything is escaped.
_html_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}


class TemplateFormatError(ValueError):
    """A template does not start with its `Subject:` line."""


@dataclass(frozen=True)
class RenderedMessage:
    template: str
    language: str
    subject: str
    body: str


def pick_language(requested: str) -> str:
    """The supported language closest to `requested` ("es-MX" → "es"), else English."""
    primary = requested.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def render(template: str, language: str, **context: Any) -> RenderedMessage:
    """Render `template` in `language` (or the nearest supported one)."""
    language = pick_language(language)
    text = _environment.get_template(f"{template}.{language}.txt").render(**context)
    first_line, _, body = text.lstrip().partition("\n")
    if not first_line.startswith(_SUBJECT_PREFIX):
        raise TemplateFormatError(f"{template}.{language}.txt must start with 'Subject:'")
    subject = " ".join(first_line.removeprefix(_SUBJECT_PREFIX).split())
    return RenderedMessage(template=template, language=language, subject=subject, body=body)


def format_date(day: date, language: str) -> str:
    """A letter's date as written in `language`: "22 November 2026", "22 de noviembre de 2026"."""
    language = pick_language(language)
    month = _MONTHS[language][day.month - 1]
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{day.day} {month} {day.year}"


def render_letter(template: str, language: str, **context: Any) -> RenderedMessage:
    """Render the HTML letter `template` in `language` (or the nearest supported one)."""
    language = pick_language(language)
    name = f"{template}.{language}.html"
    module = _html_environment.get_template(name).make_module(context)
    subject = getattr(module, "subject", None)
    if not isinstance(subject, str) or not subject.strip():
        raise TemplateFormatError(f"{name} must set `subject`")
    return RenderedMessage(
        template=template, language=language, subject=" ".join(subject.split()), body=str(module)
    )


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[str, ...]
    # A quoted block (a question, a reason, a control number) set apart from the prose.
    indented: bool


def paragraphs(text: str) -> list[Paragraph]:
    """The plain-text body split at blank lines, for its HTML and letter forms."""
    blocks = [block for block in text.strip().split("\n\n") if block.strip()]
    result: list[Paragraph] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        indented = all(line.startswith("    ") for line in lines)
        result.append(Paragraph(lines=tuple(line.strip() for line in lines), indented=indented))
    return result


def html_alternative(rendered: RenderedMessage) -> str:
    """A simple HTML part with the same words as the plain-text email, escaped."""
    return _html_environment.get_template("email_alternative.html").render(
        language=rendered.language, subject=rendered.subject, paragraphs=paragraphs(rendered.body)
    )


def lifecycle_letter(
    rendered: RenderedMessage,
    control_number: str,
    recipient_name: str,
    address_lines: list[str],
    letter_date: date,
) -> str:
    """The printable letter form of a lifecycle message: sender, date, address, body."""
    body_paragraphs = paragraphs(rendered.body)
    # The closing "Ombuds" line is the signature, kept as the letter's last paragraph.
    return _html_environment.get_template("lifecycle_letter.html").render(
        language=rendered.language,
        subject=rendered.subject,
        control_number=control_number,
        recipient_name=recipient_name,
        address_lines=address_lines,
        letter_date=letter_date,
        letter_date_text=format_date(letter_date, rendered.language),
        paragraphs=body_paragraphs,
    )
