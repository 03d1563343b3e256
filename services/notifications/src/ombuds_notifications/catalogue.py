"""Every message template and the variables it needs: the one list to check a template against.

Each name is `templates/<name>.<language>.txt` in every supported language; emails also carry
an HTML alternative and letters an HTML/PDF form, both made from the same text (rendering.py).
"""

from dataclasses import dataclass

from ombuds_notifications.rendering import ACKNOWLEDGEMENT


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    variables: frozenset[str]
    # What the template is for, as the README and staff read it.
    purpose: str


def _spec(name: str, purpose: str, *variables: str) -> TemplateSpec:
    return TemplateSpec(name=name, variables=frozenset(variables), purpose=purpose)


REQUEST_FOR_INFORMATION = "request_for_information"
STATUS_UPDATE = "status_update"
REFERRAL = "referral"
CLOSURE = "closure"
WITHDRAWAL = "withdrawal"
REOPENING = "reopening"
STAFF_ESCALATION = "staff_escalation"
AGENCY_REFERRAL = "agency_referral"
REDIRECTED_DHS_TRIP = "redirected_dhs_trip"
REDIRECTED_OUTSIDE_AGENCY = "redirected_outside_agency"

_SUBMITTER = ("control_number", "recipient_name")

TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        _spec(ACKNOWLEDGEMENT, "a submission was received", *_SUBMITTER, "kind", "status_url"),
        _spec(
            REQUEST_FOR_INFORMATION,
            "staff need more information: the question, its due date and the reply link",
            *_SUBMITTER,
            "question",
            "due_date",
            "reply_url",
        ),
        _spec(STATUS_UPDATE, "the case was first assigned to an office", *_SUBMITTER, "status"),
        _spec(REFERRAL, "the case was referred to another agency", *_SUBMITTER, "agency"),
        _spec(CLOSURE, "the case was closed", *_SUBMITTER, "disposition", "resolution"),
        _spec(WITHDRAWAL, "the submitter's withdrawal was recorded", *_SUBMITTER),
        _spec(REOPENING, "a closed case was reopened", *_SUBMITTER, "reason"),
        _spec(
            REDIRECTED_DHS_TRIP,
            "an entry/exit redress matter: how to file with DHS TRIP (PIA 2.1)",
            *_SUBMITTER,
        ),
        _spec(
            REDIRECTED_OUTSIDE_AGENCY,
            "a matter for an agency outside DHS: contact it directly",
            *_SUBMITTER,
            "agency_name",
        ),
        _spec(
            STAFF_ESCALATION,
            "a supervisor is told a case is overdue",
            "control_number",
            "overdue",
            "due_at",
            "case_url",
        ),
        _spec(
            AGENCY_REFERRAL,
            "an office or agency with an email channel gets a referral, reminder or recall",
            "control_number",
            "recipient_name",
            "referral_id",
            "action",
            "purpose",
            "nature",
            "deadline",
        ),
    )
}
