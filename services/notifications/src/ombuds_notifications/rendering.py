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
