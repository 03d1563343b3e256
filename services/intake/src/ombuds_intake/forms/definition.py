"""Versioned form definitions: the PIA's question paths as data.

Each file in `definitions/` is one version, named by the date it took effect. A version is
never edited once released: a change is a new file, and every submission records the version
it was validated against, so an old case is always read the way it was asked.
"""

import json
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

DEFINITIONS = Path(__file__).parent / "definitions"

Text = dict[str, str]  # language -> text


class FieldDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["text", "textarea", "email", "date", "enum"]
    required: bool = False
    label: Text
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    options: dict[str, Text] | None = None
    # Identity document numbers and dates of birth (encrypted at rest, masked for staff).
    sensitive: bool = False
    # Commercially confidential trade data, flagged so it is never shared as ordinary text.
    proprietary: bool = False


class SectionDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    fields: dict[str, FieldDefinition]
    # Personal information: never collected from an anonymous submitter.
    personal: bool = False


class SectionUse(BaseModel):
    """How one path uses a section: which fields it leaves out or makes optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    omit: list[str] = []
    optional: list[str] = []
    labels: dict[str, Text] = {}


class CategoryDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    topics: dict[str, Text] | None = None
    sections: dict[str, SectionUse]


class FormDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    kinds: dict[str, Text]
    sections: dict[str, SectionDefinition]
    categories: dict[str, CategoryDefinition]

    def fields_on_path(self, category: str, section: str) -> dict[str, FieldDefinition]:
        """The fields a path asks in a section, with that path's required flags and labels."""
        use = self.categories[category].sections[section]
        fields: dict[str, FieldDefinition] = {}
        for name, field in self.sections[section].fields.items():
            if name in use.omit:
                continue
            changes: dict[str, object] = {}
            if name in use.optional:
                changes["required"] = False
            if name in use.labels:
                changes["label"] = use.labels[name]
            fields[name] = field.model_copy(update=changes) if changes else field
        return fields


def available_versions() -> list[str]:
    return sorted(path.stem for path in DEFINITIONS.glob("*.json"))


CURRENT_VERSION = available_versions()[-1]


@cache
def load_definition(version: str = CURRENT_VERSION) -> FormDefinition:
    if version not in available_versions():
        raise KeyError(version)
    text = (DEFINITIONS / f"{version}.json").read_text(encoding="utf-8")
    definition = FormDefinition.model_validate(json.loads(text))
    if definition.version != version:
        raise ValueError(f"definitions/{version}.json declares version {definition.version}")
    return definition
