"""Helpers for the portal's tests: read a rendered page, and fill a path with valid answers."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

from ombuds_intake.forms.definition import FieldDefinition, FormDefinition
from ombuds_intake.portal.fields import field_name, path_sections

SPECIAL_VALUES = {
    "phone": "+1 202 555 0100",
    "phone_country_code": "+1",
    "alien_registration_number": "A12345678",
    "narrative": "The officer at the counter was courteous and explained every step.",
}


@dataclass
class Control:
    tag: str
    type: str
    name: str
    id: str
    value: str
    required: bool
    attrs: dict[str, str]


@dataclass
class Page(HTMLParser):
    """The controls, ids, labels with a required mark, and error-summary links of one page."""

    controls: list[Control] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    required_labels: set[str] = field(default_factory=set)
    summary_links: list[str] = field(default_factory=list)
    html_lang: str = ""
    _label_for: str | None = None
    _in_summary: int = 0

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag in {"input", "select", "textarea"}:
            self.controls.append(
                Control(
                    tag,
                    a.get("type", tag),
                    a.get("name", ""),
                    a.get("id", ""),
                    a.get("value", ""),
                    "required" in a,
                    a,
                )
            )
        if tag == "label":
            self._label_for = a.get("for")
        if tag == "abbr" and "usa-hint--required" in a.get("class", "") and self._label_for:
            self.required_labels.add(self._label_for)
        if tag == "div" and (self._in_summary or a.get("id") == "error-summary"):
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None
        if tag == "div" and self._in_summary:
            self._in_summary -= 1

    def hidden(self) -> dict[str, str]:
        return {c.name: c.value for c in self.controls if c.type == "hidden"}

    def visible_names(self) -> set[str]:
        """Names of the fields a person fills in (not hidden, not the honeypot)."""
        return {
            c.name
            for c in self.controls
            if c.type != "hidden" and c.attrs.get("tabindex") != "-1" and c.name
        }

    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def valid_value(name: str, spec: FieldDefinition) -> str:
    if name in SPECIAL_VALUES:
        return SPECIAL_VALUES[name]
    if spec.type == "email":
        return "maria.lopez@example.org"
    if spec.type == "date":
        return (date.today() - timedelta(days=30)).isoformat()
    if spec.type == "enum":
        assert spec.options
        return next(iter(spec.options))
    return "Sample"


def valid_answers(
    definition: FormDefinition, category: str, anonymous: bool, *, optional: bool = True
) -> dict[str, str]:
    """Every field on the path (or only the required ones) with an acceptable value."""
    answers: dict[str, str] = {}
    topics = definition.categories[category].topics
    if topics:
        answers["topic"] = next(iter(topics))
    for section in path_sections(definition, category, anonymous):
        for name, spec in definition.fields_on_path(category, section).items():
            if spec.required or optional:
                answers[field_name(section, name)] = valid_value(name, spec)
    return answers
