"""The permission table and the office scope of `can`, for every role (no database)."""

import pytest

from ombuds_cases.staff.auth import DEVELOPMENT_ACTOR, authorize, require
from ombuds_cases.staff.errors import ForbiddenError
from ombuds_cases.staff.policy import (
    OFFICE_NAMES,
    PERMISSIONS,
    Office,
    Role,
    StaffActor,
    can,
    may_designate,
    office_filter,
    office_rule_broken,
)

FIELD = Office.FIELD_OPERATIONS
BORDER = Office.BORDER_PATROL


def actor(role: Role, office: Office | None = None) -> StaffActor:
    return StaffActor("s1", "s1@agency.example.gov", "S One", role, office)


# Who reads a case of Field Operations, of Border Patrol, and a case not yet routed,
# written out by hand from the policy's docstring rather than computed from the table.
CASE_READ_SCOPE = [
    # role, actor's office, (own office's case, other office's case, unrouted case)
    (Role.INTAKE_SPECIALIST, FIELD, (True, False, False)),
    (Role.INTAKE_SPECIALIST, None, (True, True, True)),
    (Role.CASE_OFFICER, FIELD, (True, False, False)),
    (Role.SUPERVISOR, FIELD, (True, False, False)),
    (Role.SUPERVISOR, None, (True, True, True)),
    (Role.RECORDS_OFFICER, None, (True, True, True)),
    (Role.PRIVACY_OFFICER, None, (True, True, True)),
    (Role.SECURITY_OFFICER, None, (False, False, False)),
    (Role.ADMINISTRATOR, None, (False, False, False)),
]


@pytest.mark.parametrize(("role", "office", "expected"), CASE_READ_SCOPE)
def test_case_read_scope_for_every_role(
    role: Role, office: Office | None, expected: tuple[bool, bool, bool]
) -> None:
    who = actor(role, office)
    seen = (
        can(who, "case.read", FIELD.value),
        can(who, "case.read", BORDER.value),
        can(who, "case.read", None),
    )
    assert seen == expected


def test_every_role_appears_in_the_scope_table() -> None:
    assert {role for role, _, _ in CASE_READ_SCOPE} == set(Role)


@pytest.mark.parametrize("permission", ["case.update", "case.close", "case.reveal_identity"])
def test_an_office_bound_officer_changes_only_their_office_cases(permission: str) -> None:
    officer = actor(Role.CASE_OFFICER, FIELD)
    assert can(officer, permission, FIELD.value)
    assert not can(officer, permission, BORDER.value)
    assert not can(officer, permission, None)


def test_only_supervisors_assign_and_reopen() -> None:
    for permission in ("case.assign", "case.reopen"):
        allowed = {role for role in Role if can(actor(role), permission, FIELD.value)}
        assert allowed == {Role.SUPERVISOR}


def test_auditors_search_the_audit_trail_and_administrators_do_not() -> None:
    allowed = {role for role in Role if can(actor(role), "audit.search", None)}
    assert allowed == {Role.PRIVACY_OFFICER, Role.SECURITY_OFFICER}


def test_administrators_manage_accounts_but_hold_no_case_or_audit_permission() -> None:
    admin = actor(Role.ADMINISTRATOR)
    held = {name for name in PERMISSIONS if can(admin, name, None)}
    # Retention (issue 6): an administrator stands in for the records officer on legal holds.
    assert held == {
        "staff.read",
        "staff.manage",
        "training.attest",
        "retention.hold",
        "retention.read",
        "directory.manage",
        "routing.manage",
    }


def test_only_administrators_manage_the_directory_and_officers_refer() -> None:
    assert {role for role in Role if can(actor(role), "directory.manage", None)} == {
        Role.ADMINISTRATOR
    }
    assert {role for role in Role if can(actor(role), "referral.manage", None)} == {
        Role.CASE_OFFICER,
        Role.SUPERVISOR,
    }


def test_non_case_permissions_ignore_the_office() -> None:
    supervisor = actor(Role.SUPERVISOR, FIELD)
    assert can(supervisor, "staff.manage", BORDER.value)
    assert can(supervisor, "training.attest", None)


def test_the_development_actor_may_do_everything_everywhere() -> None:
    for permission in PERMISSIONS:
        assert can(DEVELOPMENT_ACTOR, permission, None)
        assert can(DEVELOPMENT_ACTOR, permission, BORDER.value)


def test_an_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        can(actor(Role.SUPERVISOR), "case.teleport", None)
    with pytest.raises(KeyError):
        require("case.teleport")


def test_list_filters_follow_the_office() -> None:
    assert office_filter(actor(Role.CASE_OFFICER, FIELD)) == FIELD
    assert office_filter(actor(Role.SUPERVISOR)) is None
    assert office_filter(actor(Role.RECORDS_OFFICER)) is None


def test_authorize_names_the_reason() -> None:
    with pytest.raises(ForbiddenError, match="border_patrol office"):
        authorize(actor(Role.CASE_OFFICER, FIELD), "case.read", BORDER.value)
    with pytest.raises(ForbiddenError, match=r"may not use case\.assign"):
        authorize(actor(Role.CASE_OFFICER, FIELD), "case.assign", FIELD.value)
    authorize(actor(Role.CASE_OFFICER, FIELD), "case.read", FIELD.value)


@pytest.mark.parametrize(
    ("designator", "role", "office", "allowed"),
    [
        (actor(Role.ADMINISTRATOR), Role.ADMINISTRATOR, None, True),
        (actor(Role.ADMINISTRATOR), Role.SUPERVISOR, BORDER, True),
        (actor(Role.SUPERVISOR, FIELD), Role.CASE_OFFICER, FIELD, True),
        (actor(Role.SUPERVISOR, FIELD), Role.INTAKE_SPECIALIST, FIELD, True),
        (actor(Role.SUPERVISOR, FIELD), Role.CASE_OFFICER, BORDER, False),
        (actor(Role.SUPERVISOR, FIELD), Role.SUPERVISOR, FIELD, False),
        (actor(Role.SUPERVISOR, FIELD), Role.PRIVACY_OFFICER, None, False),
        (actor(Role.SUPERVISOR), Role.CASE_OFFICER, BORDER, True),
        (actor(Role.CASE_OFFICER, FIELD), Role.CASE_OFFICER, FIELD, False),
        (actor(Role.SECURITY_OFFICER), Role.CASE_OFFICER, FIELD, False),
    ],
)
def test_who_may_designate_whom(
    designator: StaffActor, role: Role, office: Office | None, allowed: bool
) -> None:
    assert may_designate(designator, role, office) is allowed


def test_offices_fit_their_roles() -> None:
    assert office_rule_broken(Role.CASE_OFFICER, None) == "a case_officer must belong to an office"
    assert office_rule_broken(Role.PRIVACY_OFFICER, FIELD) is not None
    assert office_rule_broken(Role.SUPERVISOR, None) is None
    assert office_rule_broken(Role.SUPERVISOR, FIELD) is None


def test_every_office_has_a_display_name() -> None:
    assert set(OFFICE_NAMES) == set(Office)
    assert OFFICE_NAMES[Office.PROFESSIONAL_RESPONSIBILITY] == "Professional Responsibility"
