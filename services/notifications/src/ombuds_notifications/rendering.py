"""Message templates: `templates/<name>.<language>.txt`, a `Subject:` line, then the body."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).parent / "templates"
ACKNOWLEDGEMENT = "acknowledgement"
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
