"""Submission models generated from a form definition, one per question path.

Each path's model forbids every field the path does not ask, so a field off the path is
refused, not stored (PIA 2.5: the portal collects only what the chosen path needs).
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ombuds_intake.attachments.models import ATTACHMENT_ID_PATTERN
from ombuds_intake.forms.definition import FieldDefinition, FormDefinition, load_definition

MAX_ATTACHMENTS_LISTED = 20


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise PydanticCustomError("date_in_future", "the date cannot be in the future")
    return value


def _annotation(field: FieldDefinition) -> Any:
    if field.type == "email":
        return EmailStr
    if field.type == "date":
        return Annotated[date, AfterValidator(_not_in_future)]
    if field.type == "enum":
        assert field.options, "an enum field needs options"
        return Literal[tuple(field.options)]
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=field.min_length or 1,
            max_length=field.max_length,
            pattern=field.pattern,
        ),
    ]


def _section_model(name: str, fields: dict[str, FieldDefinition]) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for field_name, field in fields.items():
        annotation = _annotation(field)
        if field.required:
            definitions[field_name] = (annotation, ...)
        else:
            definitions[field_name] = (annotation | None, None)
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid", frozen=True), **definitions
    )
    return model


def _personal_section_rule(section: str, required: bool) -> Any:
    """Contact is needed unless anonymous; no personal section is accepted when anonymous."""

    def check(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
        anonymous = info.data.get("anonymous", False)
        if anonymous and value is not None:
            raise PydanticCustomError(
                "forbidden_when_anonymous",
                "an anonymous submission carries no personal information",
            )
        if required and not anonymous and value is None:
            raise PydanticCustomError(
                "required_unless_anonymous", "contact is required unless anonymous is true"
            )
        return value

    return field_validator(section)(classmethod(check))


WEB_CHANNEL = "web"
STAFF_CHANNELS = ("phone", "letter", "comment_card", "fax", "email")
# PIA 2.2: letters, cards and faxes are scanned into the case.
SCANNED_CHANNELS = ("letter", "comment_card", "fax")
Audience = Literal["public", "staff"]


class CallDetails(BaseModel):
    """PIA 2.1: for phone submissions, the date, time and number the call came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    received_at: datetime
    caller_number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9 ()+.-]{3,30}$")
    ]


def _call_rule(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    channel = info.data.get("channel")
    if channel == "phone" and value is None:
        raise PydanticCustomError("required_for_phone", "a phone submission records the call")
    if channel != "phone" and value is not None:
        raise PydanticCustomError("phone_only", "only a phone submission records a call")
    return value


def _scan_rule(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    channel = info.data.get("channel")
    if channel in SCANNED_CHANNELS and value is None:
        raise PydanticCustomError(
            "required_for_paper", "a letter, comment card or fax carries its scanned document"
        )
    if channel not in SCANNED_CHANNELS and value is not None:
        raise PydanticCustomError("paper_only", "only paper submissions carry a scanned document")
    return value


def _channel_fields(audience: Audience) -> tuple[dict[str, Any], dict[str, Any]]:
    """How each audience consents: the public reads the Privacy Act Statement online and
    certifies accuracy (PIA 4.3, 7.2); staff confirm the details with the submitter."""
    if audience == "public":
        return {
            "privacy_act_acknowledged": (Literal[True], ...),
            "accuracy_certified": (Literal[True], ...),
        }, {}
    attachment_id = Annotated[str, StringConstraints(pattern=ATTACHMENT_ID_PATTERN)]
    return {
        "channel": (Literal[STAFF_CHANNELS], ...),
        "call": (CallDetails | None, Field(None, validate_default=True)),
        "scanned_document": (attachment_id | None, Field(None, validate_default=True)),
        "information_confirmed": (Literal[True], ...),
    }, {
        "_call_rule": field_validator("call")(classmethod(_call_rule)),
        "_scan_rule": field_validator("scanned_document")(classmethod(_scan_rule)),
    }


@cache
def path_models(version: str, audience: Audience = "public") -> dict[str, type[BaseModel]]:
    """One model per category of the given definition version, for one audience."""
    definition = load_definition(version)
    kinds: Any = Literal[tuple(definition.kinds)]
    models: dict[str, type[BaseModel]] = {}
    for category, path in definition.categories.items():
        prefix = "".join(part.title() for part in category.split("_"))
        fields: dict[str, Any] = {
            "category": (Literal[category], ...),
            "kind": (kinds, ...),
        }
        if path.topics:
            fields["topic"] = (Literal[tuple(path.topics)], ...)
        fields["anonymous"] = (bool, False)
        validators: dict[str, Any] = {}
        for section in path.sections:
            section_model = _section_model(
                f"{prefix}{section.title()}", definition.fields_on_path(category, section)
            )
            if definition.sections[section].personal:
                fields[section] = (section_model | None, Field(None, validate_default=True))
                validators[f"_{section}_rule"] = _personal_section_rule(
                    section, required=section == "contact"
                )
            else:
                fields[section] = (section_model, ...)
        fields["attachments"] = (
            list[Annotated[str, StringConstraints(pattern=ATTACHMENT_ID_PATTERN)]],
            Field(default_factory=list, max_length=MAX_ATTACHMENTS_LISTED),
        )
        consent, consent_validators = _channel_fields(audience)
        fields.update(consent)
        validators.update(consent_validators)
        fields["language"] = (Literal["en", "es"], "en")
        fields["form_version"] = (Literal[version], version)
        models[category] = create_model(
            f"{prefix}{'Staff' if audience == 'staff' else ''}Submission",
            __config__=ConfigDict(extra="forbid", frozen=True),
            __validators__=validators,
            **fields,
        )
    return models


@dataclass(frozen=True)
class ValidatedSubmission:
    """A submission that passed its path, with the fields every path shares pulled out."""

    form_version: str
    kind: str
    category: str
    topic: str | None
    anonymous: bool
    language: str
    attachments: list[str]
    sections: dict[str, dict[str, Any]]
    channel: str = WEB_CHANNEL
    # Phone: the call's time and number; paper: the scanned document's attachment id.
    channel_details: dict[str, Any] | None = None

    @property
    def contact(self) -> dict[str, Any] | None:
        return self.sections.get("contact")

    @property
    def incident(self) -> dict[str, Any]:
        return self.sections["incident"]

    @property
    def contact_email(self) -> str | None:
        contact = self.contact
        return str(contact["email"]).lower() if contact else None

    def as_json(self) -> dict[str, Any]:
        return {
            "form_version": self.form_version,
            "kind": self.kind,
            "category": self.category,
            "topic": self.topic,
            "anonymous": self.anonymous,
            "language": self.language,
            "attachments": self.attachments,
            "channel": self.channel,
            "channel_details": self.channel_details,
            **self.sections,
        }

    @property
    def all_attachments(self) -> list[str]:
        """The files to claim: attachments plus a paper submission's scanned document."""
        scanned = (self.channel_details or {}).get("scanned_document")
        return [*self.attachments, scanned] if scanned else list(self.attachments)


def _error(field: str, rule: str, message: str, value: Any = None) -> dict[str, Any]:
    return {"loc": ("body", field), "type": rule, "msg": message, "input": value}


def validate_submission(body: Any, audience: Audience = "public") -> ValidatedSubmission:
    """Validate `body` against its category's path; raise RequestValidationError otherwise.

    `staff` is for submissions staff enter from a phone call, letter, comment card, fax or
    email: they name the channel and its details instead of the web consent checkboxes.
    """
    if not isinstance(body, dict):
        raise RequestValidationError([_error("body", "dict_type", "a JSON object is expected")])
    version = body.get("form_version", None)
    try:
        definition: FormDefinition = load_definition(version) if version else load_definition()
    except (KeyError, TypeError):
        raise RequestValidationError(
            [
                _error(
                    "form_version",
                    "unknown_form_version",
                    "this form version is not known",
                    version,
                )
            ]
        ) from None
    models = path_models(definition.version, audience)
    category = body.get("category")
    if category not in models:
        rule = "missing" if category is None else "enum"
        options = ", ".join(models)
        raise RequestValidationError(
            [_error("category", rule, f"category must be one of: {options}", category)]
        )
    try:
        model = models[category].model_validate(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        ) from None
    data = model.model_dump(mode="json", exclude_none=True)
    sections = {
        name: data[name] for name in definition.categories[category].sections if name in data
    }
    return ValidatedSubmission(
        form_version=definition.version,
        kind=data["kind"],
        category=category,
        topic=data.get("topic"),
        anonymous=data["anonymous"],
        language=data["language"],
        attachments=data["attachments"],
        sections=sections,
        channel=data.get("channel", WEB_CHANNEL),
        channel_details={key: data[key] for key in ("call", "scanned_document") if key in data}
        or None,
    )


def value_annotation(field: FieldDefinition) -> Any:
    """The type (with its rules) one field's value is validated by, e.g. for a correction."""
    return _annotation(field)
