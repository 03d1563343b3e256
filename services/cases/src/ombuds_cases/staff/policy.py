"""Who may do what: roles, offices and the permission table, as data (PIA 8.3, least privilege).

Office scope, decided here once:
- A case officer always belongs to one office and reaches only that office's cases.
- A supervisor or intake specialist with an office reaches only that office's cases; without
  one they work agency-wide (e.g. the intake desk, or a supervisor who triages and routes).
- Records, privacy and security officers work agency-wide and carry no office.
- A case not yet routed to an office is reachable only by agency-wide actors of an allowed
  role: an office-bound actor is refused until the case is routed to their office.
- Permissions outside `case.*` (staff, audit, training, retention, directory, routing,
  referral) carry no case office.
The development bearer token (development and test only) is an actor with every permission.
"""

from dataclasses import dataclass
from enum import StrEnum

# Staff belong to the same offices cases are assigned to: one list, kept with the case.
from ombuds_cases.case.schemas import Office as Office


class Role(StrEnum):
    INTAKE_SPECIALIST = "intake_specialist"
    CASE_OFFICER = "case_officer"
    SUPERVISOR = "supervisor"
    RECORDS_OFFICER = "records_officer"
    PRIVACY_OFFICER = "privacy_officer"
    SECURITY_OFFICER = "security_officer"
    ADMINISTRATOR = "administrator"


OFFICE_NAMES: dict[Office, str] = {
    Office.FIELD_OPERATIONS: "Field Operations",
    Office.BORDER_PATROL: "Border Patrol",
    Office.AIR_AND_MARINE: "Air and Marine Operations",
    Office.TRADE: "Trade",
    Office.TRUSTED_TRAVELER_PROGRAMS: "Trusted Traveler Programs",
    Office.PROFESSIONAL_RESPONSIBILITY: "Professional Responsibility",
    Office.PRIVACY: "Privacy",
    Office.INFORMATION_CENTER: "Information Center",
}

# Roles whose case permissions stop at their office's border when they have one.
OFFICE_SCOPED_ROLES = frozenset({Role.INTAKE_SPECIALIST, Role.CASE_OFFICER, Role.SUPERVISOR})
# Roles that must name an office, and roles that may not.
OFFICE_REQUIRED_ROLES = frozenset({Role.CASE_OFFICER})
AGENCY_WIDE_ROLES = frozenset(Role) - OFFICE_SCOPED_ROLES

# What a supervisor may designate; an administrator may designate any role.
SUPERVISOR_DESIGNATES = frozenset({Role.CASE_OFFICER, Role.INTAKE_SPECIALIST})

_R = Role
PERMISSIONS: dict[str, frozenset[Role]] = {
    # Cases (office-scoped for office-bound actors).
    "case.read": frozenset(
        {
            _R.INTAKE_SPECIALIST,
            _R.CASE_OFFICER,
            _R.SUPERVISOR,
            _R.RECORDS_OFFICER,
            _R.PRIVACY_OFFICER,
        }
    ),
    "case.create": frozenset({_R.INTAKE_SPECIALIST, _R.SUPERVISOR}),
    "case.note": frozenset({_R.INTAKE_SPECIALIST, _R.CASE_OFFICER, _R.SUPERVISOR}),
    "case.triage": frozenset({_R.INTAKE_SPECIALIST, _R.SUPERVISOR}),
    "case.update": frozenset({_R.CASE_OFFICER, _R.SUPERVISOR}),
    "case.assign": frozenset({_R.SUPERVISOR}),
    "case.request_information": frozenset({_R.CASE_OFFICER, _R.SUPERVISOR}),
    "case.close": frozenset({_R.CASE_OFFICER, _R.SUPERVISOR}),
    "case.reopen": frozenset({_R.SUPERVISOR}),
    "case.reveal_identity": frozenset({_R.CASE_OFFICER, _R.SUPERVISOR, _R.PRIVACY_OFFICER}),
    "case.export": frozenset({_R.SUPERVISOR, _R.RECORDS_OFFICER, _R.PRIVACY_OFFICER}),
    # Audit: the auditors only; administrators are audited, so they do not read the trail.
    "audit.search": frozenset({_R.PRIVACY_OFFICER, _R.SECURITY_OFFICER}),
    "audit.verify": frozenset({_R.PRIVACY_OFFICER, _R.SECURITY_OFFICER}),
    # Records: retention and legal holds, disclosure accounting.
    # Legal holds are the records officer's call (an administrator stands in); the schedule,
    # holds and certificates (control numbers and counts, no personal data) are also read
    # by the privacy officer, who answers for the purge (PIA 5.2).
    "retention.hold": frozenset({_R.RECORDS_OFFICER, _R.ADMINISTRATOR}),
    "retention.read": frozenset({_R.RECORDS_OFFICER, _R.PRIVACY_OFFICER, _R.ADMINISTRATOR}),
    "disclosure.record": frozenset({_R.RECORDS_OFFICER, _R.PRIVACY_OFFICER}),
    # Privacy Act and FOIA requests, exports and amendment requests (PIA 7.1-7.3): the
    # privacy officer only; the search reaches every case of every office by a person's
    # identifiers, so no other role holds it.
    "privacy.requests": frozenset({_R.PRIVACY_OFFICER}),
    # Staff accounts (a supervisor further limited to SUPERVISOR_DESIGNATES in their office).
    "staff.read": frozenset({_R.SUPERVISOR, _R.SECURITY_OFFICER, _R.ADMINISTRATOR}),
    "staff.manage": frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    "training.attest": frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    # The referrals service's staff API, through signed staff assertions: the directory of
    # offices and agencies (and their API keys), the routing rules, and referring a case
    # (routing suggestions and decisions, referrals, recalls).
    "directory.manage": frozenset({_R.ADMINISTRATOR}),
    "routing.manage": frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    "referral.manage": frozenset({_R.CASE_OFFICER, _R.SUPERVISOR}),
}


@dataclass(frozen=True)
class StaffActor:
    """The person behind a request, as the policy needs them."""

    staff_id: str
    email: str
    name: str
    role: Role
    office: Office | None
    # Only the development token (never in production) sets this.
    is_development: bool = False

    @property
    def agency_wide(self) -> bool:
        return self.office is None


def holds(actor: StaffActor, permission: str) -> bool:
    """Whether the actor's role carries `permission` at all (office aside)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return actor.is_development or actor.role in PERMISSIONS[permission]


def can(actor: StaffActor, permission: str, case_office: str | None) -> bool:
    """Whether the actor may use `permission` on a case of `case_office` (None = not routed)."""
    if not holds(actor, permission):
        return False
    if actor.is_development or not permission.startswith("case."):
        return True
    if actor.role not in OFFICE_SCOPED_ROLES or actor.office is None:
        return True
    return case_office is not None and case_office == actor.office


def office_filter(actor: StaffActor) -> Office | None:
    """The office a list of cases must be limited to for this actor, or None for all."""
    if actor.is_development or actor.role not in OFFICE_SCOPED_ROLES:
        return None
    return actor.office


def may_designate(actor: StaffActor, role: Role, office: Office | None) -> bool:
    """Whether the actor may give an account this role and office (PIA 8.3: designation)."""
    if actor.is_development or actor.role == Role.ADMINISTRATOR:
        return True
    if actor.role != Role.SUPERVISOR or role not in SUPERVISOR_DESIGNATES:
        return False
    return actor.office is None or office == actor.office


def office_rule_broken(role: Role, office: Office | None) -> str | None:
    """Why this role cannot have this office, or None when the pair is valid."""
    if role in OFFICE_REQUIRED_ROLES and office is None:
        return f"a {role.value} must belong to an office"
    if role in AGENCY_WIDE_ROLES and office is not None:
        return f"a {role.value} works agency-wide and has no office"
    return None
