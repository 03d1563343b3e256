"""From a question path to HTML fields, from posted fields to the API's body, and from its
validation errors to plain messages tied to the fields they are about."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ombuds_intake.forms.definition import FieldDefinition, FormDefinition
from ombuds_intake.portal.i18n import Translator

TOPIC = "topic"
CERTIFY = "accuracy_certified"
PRIVACY_ACK = "privacy_act_acknowledged"
CHECKED = frozenset({"1", "on", "true", "yes"})

# WCAG 1.3.5 (Identify Input Purpose): the fields about the submitter say what they are.
AUTOCOMPLETE = {
    ("contact", "email"): "email",
    ("contact", "first_name"): "given-name",
    ("contact", "middle_name"): "additional-name",
    ("contact", "last_name"): "family-name",
    ("contact", "street_address"): "street-address",
    ("contact", "city"): "address-level2",
    ("contact", "state_province"): "address-level1",
    ("contact", "postal_code"): "postal-code",
    ("contact", "country"): "country-name",
    ("contact", "phone_country_code"): "tel-country-code",
    ("contact", "phone"): "tel",
    ("identity", "date_of_birth"): "bday",
    ("identity", "gender"): "sex",
}


def field_id(section: str, name: str) -> str:
    return f"f-{section}-{name}"


def field_name(section: str, name: str) -> str:
    return f"{section}.{name}"


@dataclass
class FieldView:
    """One field as the template draws it."""

    id: str
    name: str
    label: str
    kind: str  # text, email, textarea, date, select
    required: bool
    value: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    max_length: int | None = None
    autocomplete: str | None = None
    hint: str | None = None
    error: str | None = None


@dataclass
class SectionView:
    name: str
    legend: str
    fields: list[FieldView]


@dataclass(frozen=True)
class FieldError:
    field_id: str
    message: str


def checked(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in CHECKED


def path_sections(definition: FormDefinition, category: str, anonymous: bool) -> list[str]:
    """The sections this path asks; personal ones are never asked of an anonymous submitter."""
    return [
        section
        for section in definition.categories[category].sections
        if not (anonymous and definition.sections[section].personal)
    ]


def _view(section: str, name: str, spec: FieldDefinition, t: Translator) -> FieldView:
    kind = "select" if spec.type == "enum" else spec.type
    options = [(key, t.text(label)) for key, label in (spec.options or {}).items()]
    return FieldView(
        id=field_id(section, name),
        name=field_name(section, name),
        label=t.text(spec.label),
        kind=kind,
        required=spec.required,
        options=options,
        max_length=spec.max_length,
        autocomplete=AUTOCOMPLETE.get((section, name)),
        hint=t("date_hint") if spec.type == "date" else None,
    )


def form_views(
    definition: FormDefinition,
    category: str,
    anonymous: bool,
    t: Translator,
    values: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> tuple[FieldView | None, list[SectionView]]:
    """The topic field (if the path has topics) and the path's sections, filled and marked."""
    values = values or {}
    by_id = {error.field_id: error.message for error in errors or []}
    path = definition.categories[category]
    topic: FieldView | None = None
    if path.topics:
        topic = FieldView(
            id=field_id("path", TOPIC),
            name=TOPIC,
            label=t("topic_label"),
            kind="select",
            required=True,
            value=values.get(TOPIC, ""),
            options=[(key, t.text(label)) for key, label in path.topics.items()],
        )
        topic.error = by_id.get(topic.id)
    sections = []
    for section in path_sections(definition, category, anonymous):
        views = []
        for name, spec in definition.fields_on_path(category, section).items():
            view = _view(section, name, spec, t)
            view.value = values.get(view.name, "")
            view.error = by_id.get(view.id)
            views.append(view)
        sections.append(SectionView(section, t.text(definition.sections[section].label), views))
    return topic, sections


def build_body(
    definition: FormDefinition,
    form: Mapping[str, Any],
    kind: str,
    category: str,
    anonymous: bool,
    lang: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body the API takes, and the posted values to show again if it is refused.

    Empty optional fields are left out; a section whose fields are all optional is left out
    when nothing in it was filled (identity verification is optional as a whole).
    """
    body: dict[str, Any] = {"kind": kind, "category": category, "anonymous": anonymous}
    values: dict[str, str] = {}
    if definition.categories[category].topics:
        topic = _text(form.get(TOPIC))
        values[TOPIC] = topic
        if topic:
            body[TOPIC] = topic
    for section in path_sections(definition, category, anonymous):
        fields = definition.fields_on_path(category, section)
        given: dict[str, str] = {}
        for name in fields:
            value = _text(form.get(field_name(section, name)))
            values[field_name(section, name)] = value
            if value:
                given[name] = value
        if given or any(spec.required for spec in fields.values()):
            body[section] = given
    if checked(form.get(PRIVACY_ACK)):
        body[PRIVACY_ACK] = True
    if checked(form.get(CERTIFY)):
        body[CERTIFY] = True
    body["language"] = lang
    return body, values


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lower_first(label: str) -> str:
    """'Date of the incident' -> 'date of the incident'; acronyms ('ESTA') stay as they are."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _message(
    rule: str,
    spec: FieldDefinition | None,
    label: str,
    name: str,
    context: Mapping[str, Any],
    t: Translator,
) -> str:
    en = t.lang == "en"
    shown = _lower_first(label) if en else label
    sentence = label  # used at the start of a sentence
    is_choice = spec is None or spec.type == "enum"
    if rule == "missing":
        if name == "narrative":
            return t("err_missing_narrative")
        return t("err_missing_choice" if is_choice else "err_missing", label=shown)
    if rule == "string_too_short":
        return t("err_too_short", label=sentence, min=context.get("min_length", 1))
    if rule == "string_too_long":
        return t("err_too_long", label=sentence, max=context.get("max_length", ""))
    if rule == "string_pattern_mismatch":
        return t("err_pattern", label=shown)
    if rule == "value_error" and spec is not None and spec.type == "email":
        return t("err_email")
    if rule.startswith("date_") and rule != "date_in_future":
        return t("err_date", label=shown)
    if rule == "date_in_future":
        return t("err_date_future", label=sentence)
    if rule == "literal_error":
        return t("err_choice", label=shown)
    return t("err_other", label=shown)


def translate_errors(
    definition: FormDefinition,
    category: str,
    anonymous: bool,
    raw_errors: list[dict[str, Any]],
    t: Translator,
) -> list[FieldError]:
    """Each validation error as a plain message on the field it is about, in form order."""
    sections = path_sections(definition, category, anonymous)
    order: list[str] = [field_id("path", TOPIC)]
    for section in sections:
        order += [field_id(section, name) for name in definition.fields_on_path(category, section)]
    order.append(field_id("path", CERTIFY))
    found: dict[str, FieldError] = {}
    for error in raw_errors:
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        rule = str(error.get("type", ""))
        context: Mapping[str, Any] = error.get("ctx") or {}
        if loc[:1] == [CERTIFY]:
            target = FieldError(field_id("path", CERTIFY), t("err_certify"))
        elif loc[:1] == [TOPIC]:
            label = t("topic_label")
            target = FieldError(
                field_id("path", TOPIC), _message(rule, None, label, TOPIC, context, t)
            )
        elif len(loc) >= 2 and loc[0] in sections:
            fields = definition.fields_on_path(category, loc[0])
            spec = fields.get(loc[1])
            if spec is None:
                continue
            target = FieldError(
                field_id(loc[0], loc[1]),
                _message(rule, spec, t.text(spec.label), loc[1], context, t),
            )
        elif loc[:1] and loc[0] in sections:
            first = next(iter(definition.fields_on_path(category, loc[0])))
            target = FieldError(
                field_id(loc[0], first),
                t("err_other", label=t.text(definition.sections[loc[0]].label)),
            )
        else:
            continue
        found.setdefault(target.field_id, target)
    return sorted(
        found.values(), key=lambda e: order.index(e.field_id) if e.field_id in order else 0
    )


def today_iso() -> str:
    return date.today().isoformat()


def error_message(
    rule: str,
    spec: FieldDefinition,
    label: str,
    name: str,
    context: Mapping[str, Any],
    t: Translator,
) -> str:
    """The plain message for one field's broken rule (as on the submission form)."""
    return _message(rule, spec, label, name, context, t)
