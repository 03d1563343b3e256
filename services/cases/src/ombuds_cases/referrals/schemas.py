"""Referring a case, and the case's view of its referrals."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# The same limits as the referrals service's own API, so a request it gets always fits.
RecipientId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
]
Form191Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)
]
# The referrals service's seeded directory (its migration 0002), for the case page's form: the
# cases service cannot read the directory, and an id it does not know comes back refused.
SEEDED_RECIPIENTS: tuple[tuple[str, str], ...] = (
    ("field-operations", "CBP Office of Field Operations"),
    ("border-patrol", "U.S. Border Patrol"),
    ("trade", "CBP Office of Trade"),
    ("professional-responsibility", "CBP Office of Professional Responsibility"),
    ("privacy", "CBP Privacy and Diversity Office"),
    ("crcl", "DHS Office for Civil Rights and Civil Liberties"),
    ("oig", "DHS Office of Inspector General"),
    ("ice-hsi-tip-line", "ICE Homeland Security Investigations Tip Line"),
    ("dhs-trip", "DHS Traveler Redress Inquiry Program (DHS TRIP)"),
    ("state", "U.S. Department of State (outside DHS)"),
    ("fbi", "Federal Bureau of Investigation (outside DHS)"),
)
DEFAULT_NATURE = "the case record: the submission's narrative and the submitter's contact details"


class ReferCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A directory id of the referrals service (`crcl`, `oig`, `state`, ...; README).
    recipient_id: RecipientId
    # Why the record is shared (Form DHS-191 "purpose"), shown to the recipient.
    purpose: Form191Text
    # What is shared (Form DHS-191 "nature"); by default the case record as staff see it.
    nature: Form191Text = DEFAULT_NATURE


class CaseReferralView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    referral_id: str
    recipient_id: str
    recipient_name: str | None
    purpose: str
    nature: str
    status: str
    requested_by: str | None
    requested_at: datetime
    acknowledged_at: datetime | None
    responded_at: datetime | None
    disposition: str | None
    disposition_at: datetime | None
    reminders_sent: int
    questions: int
    escalated_at: datetime | None
    recalled_at: datetime | None
    ended_reason: str | None
    updated_at: datetime
