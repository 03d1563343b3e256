"""The PIA's question paths (section 2.1): each asks its own fields, requires the starred
ones, and refuses every other."""

import copy
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError

from ombuds_intake.forms.definition import CURRENT_VERSION, load_definition
from ombuds_intake.forms.paths import validate_submission

CONTACT = {
    "email": "ada@example.org",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "city": "Boston",
    "state_province": "MA",
    "postal_code": "02110",
    "country": "United States",
    "phone": "617 555 0100",
}
INCIDENT = {
    "port_of_entry": "Boston Logan",
    "incident_date": "2026-10-01",
    "narrative": "What happened, in enough words to act on.",
}
TRADE = {"entry_type": "Consumption", "cargo_location": "Pier 4", "problem_type": "examination"}
VALID: dict[str, dict[str, Any]] = {
    "trusted_traveler": {"topic": "nexus", "incident": {"narrative": INCIDENT["narrative"]}},
    "border_patrol": {"incident": INCIDENT},
    "aviation_marina": {"incident": INCIDENT},
    "trade": {"incident": INCIDENT, "trade": TRADE},
    "general": {"topic": "website", "incident": {"narrative": INCIDENT["narrative"]}},
}
# PIA 2.1, the fields marked with a red asterisk, per path.
REQUIRED = {
    "contact": {
        "email",
        "first_name",
        "last_name",
        "city",
        "country",
        "state_province",
        "postal_code",
        "phone",
    },
    "incident": {"port_of_entry", "incident_date", "narrative"},
    "trade": {"entry_type", "cargo_location", "problem_type"},
    "identity": set(),
}
# Paths about enrolment or general concerns need no port or date to locate a record.
NO_INCIDENT_LOCATION = {"trusted_traveler", "general"}


def body(category: str, **changes: Any) -> dict[str, Any]:
    submission = {
        "kind": "complaint",
        "category": category,
        "contact": CONTACT,
        "privacy_act_acknowledged": True,
        "accuracy_certified": True,
        **copy.deepcopy(VALID[category]),
    }
    submission.update(changes)
    return submission


def rules(submission: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(RequestValidationError) as caught:
        validate_submission(submission)
    return {(".".join(map(str, e["loc"][1:])), e["type"]) for e in caught.value.errors()}


@pytest.mark.parametrize("category", sorted(VALID))
def test_a_complete_submission_passes_and_is_stamped(category: str) -> None:
    validated = validate_submission(body(category))
    assert validated.category == category
    assert validated.form_version == CURRENT_VERSION
    assert validated.contact_email == "ada@example.org"


@pytest.mark.parametrize("category", sorted(VALID))
def test_the_starred_fields_are_the_required_ones(category: str) -> None:
    definition = load_definition()
    for section in definition.categories[category].sections:
        fields = definition.fields_on_path(category, section)
        required = {name for name, field in fields.items() if field.required}
        expected = REQUIRED[section]
        if section == "incident" and category in NO_INCIDENT_LOCATION:
            expected = expected - {"port_of_entry", "incident_date"}
        assert required == expected, (category, section)


@pytest.mark.parametrize("category", sorted(VALID))
def test_each_missing_required_field_is_named(category: str) -> None:
    definition = load_definition()
    for section in ("contact", "incident", "trade"):
        if section not in definition.categories[category].sections:
            continue
        for name, field in definition.fields_on_path(category, section).items():
            if not field.required:
                continue
            submission = body(category)
            submission[section] = {k: v for k, v in submission[section].items() if k != name}
            assert rules(submission) == {(f"{section}.{name}", "missing")}


@pytest.mark.parametrize(
    ("category", "extra", "refused"),
    [
        ("trade", {"identity": {"passport_number": "X1234567"}}, "identity"),
        ("general", {"identity": {"trusted_traveler_id": "123"}}, "identity"),
        ("border_patrol", {"trade": TRADE}, "trade"),
        ("border_patrol", {"topic": "website"}, "topic"),
        ("aviation_marina", {"ssn": "123-45-6789"}, "ssn"),
    ],
)
def test_a_section_off_the_path_is_refused(
    category: str, extra: dict[str, Any], refused: str
) -> None:
    assert rules(body(category, **extra)) == {(refused, "extra_forbidden")}


def test_a_field_the_path_omits_is_refused() -> None:
    submission = body("trade")
    submission["incident"]["flight_number"] = "UA 100"
    assert rules(submission) == {("incident.flight_number", "extra_forbidden")}
    border = body("border_patrol", identity={"trusted_traveler_id": "123"})
    assert rules(border) == {("identity.trusted_traveler_id", "extra_forbidden")}


def test_general_concerns_need_a_topic_from_the_list() -> None:
    assert rules(body("general", topic=None)) == {("topic", "literal_error")}
    without = body("general")
    del without["topic"]
    assert rules(without) == {("topic", "missing")}
    assert validate_submission(body("general", topic="lost_parcels")).topic == "lost_parcels"


def test_identity_verification_is_optional_and_kept_when_given() -> None:
    identity = {"passport_number": "X1234567", "passport_country": "Canada"}
    validated = validate_submission(body("aviation_marina", identity=identity))
    assert validated.sections["identity"] == identity


def test_anonymous_needs_no_personal_information_and_accepts_none() -> None:
    anonymous = body("border_patrol", anonymous=True)
    del anonymous["contact"]
    assert validate_submission(anonymous).contact is None
    assert rules({**anonymous, "identity": {"gender": "female"}}) == {
        ("identity", "forbidden_when_anonymous")
    }
    named = body("border_patrol")
    del named["contact"]
    assert rules(named) == {("contact", "required_unless_anonymous")}


def test_dates_cannot_be_in_the_future() -> None:
    submission = body("border_patrol")
    submission["incident"]["incident_date"] = "2999-01-01"
    assert rules(submission) == {("incident.incident_date", "date_in_future")}


def test_patterns_and_lengths_are_enforced() -> None:
    submission = body("border_patrol")
    submission["contact"] = {**CONTACT, "phone": "call me"}
    assert rules(submission) == {("contact.phone", "string_pattern_mismatch")}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"category": None}, {("category", "missing")}),
        ({"category": "weather"}, {("category", "enum")}),
        ({"form_version": "1999-01-01"}, {("form_version", "unknown_form_version")}),
        ({"kind": "rant"}, {("kind", "literal_error")}),
    ],
)
def test_category_kind_and_version_are_checked(
    changes: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    submission = body("border_patrol")
    submission.update(changes)
    if submission["category"] is None:
        del submission["category"]
    assert rules(submission) == expected


def test_a_named_current_version_is_accepted() -> None:
    assert validate_submission(body("trade", form_version=CURRENT_VERSION)).form_version == (
        CURRENT_VERSION
    )


def test_sensitive_and_proprietary_fields_are_flagged() -> None:
    definition = load_definition()
    identity = definition.sections["identity"].fields
    sensitive = {name for name, field in identity.items() if field.sensitive}
    assert {"date_of_birth", "passport_number", "alien_registration_number"} <= sensitive
    assert definition.sections["trade"].fields["proprietary_trade_data"].proprietary
    assert definition.sections["contact"].personal
    assert definition.sections["identity"].personal


def test_every_label_is_in_english_and_spanish() -> None:
    definition = load_definition()
    labels = [definition.kinds[k] for k in definition.kinds]
    for section in definition.sections.values():
        labels.append(section.label)
        labels.extend(field.label for field in section.fields.values())
        for field in section.fields.values():
            labels.extend((field.options or {}).values())
    for category in definition.categories.values():
        labels.append(category.label)
        labels.extend((category.topics or {}).values())
    assert all(set(label) == {"en", "es"} and all(label.values()) for label in labels)
