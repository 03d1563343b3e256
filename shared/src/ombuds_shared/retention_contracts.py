"""Retention contracts: the `Retention` workflow's names, its input and its signal models.

Kept apart from `contracts.py` so the five-year workflow's contract changes only on purpose.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

RETENTION_WORKFLOW = "Retention"
ARCHIVE_CASE_ACTIVITY = "cases.archive_case"
ISSUE_DELETION_CERTIFICATE_ACTIVITY = "cases.issue_deletion_certificate"
PLACE_HOLD_SIGNAL = "place_hold"
LIFT_HOLD_SIGNAL = "lift_hold"
CANCEL_RETENTION_SIGNAL = "cancel"
STORE_CLEARED_SIGNAL = "store_cleared"
RETENTION_STATE_QUERY = "state"
# PIA 5.1: records are kept five years after closure, then archived automatically.
DEFAULT_RETENTION_YEARS = 5


def retention_workflow_id(control_number: str) -> str:
    return f"retention-{control_number}"


class RetentionContract(BaseModel):
    model_config = ConfigDict(frozen=True)


class RetentionInput(RetentionContract):
    control_number: str
    closed_at: datetime
    period_years: int = DEFAULT_RETENTION_YEARS


class PlaceHold(RetentionContract):
    reason: str
    by: str


class LiftHold(RetentionContract):
    by: str


class CancelRetention(RetentionContract):
    """The case was reopened: this run ends without purging; the next closure starts anew."""

    reason: str = "reopened"


class ArchiveCase(RetentionContract):
    control_number: str


class ArchiveResult(RetentionContract):
    """What the cases service purged, and which services must confirm their own purge."""

    services: list[str]
    manifest: dict[str, int]


class StoreCleared(RetentionContract):
    """One service's confirmation: `manifest` maps a table or file store to rows/files removed."""

    service: str
    manifest: dict[str, int]


class IssueDeletionCertificate(RetentionContract):
    control_number: str
    # Every store cleared, service by service, including the cases service's own archive.
    manifests: dict[str, dict[str, int]]


class CertificateResult(RetentionContract):
    certificate_id: str
    already_issued: bool


class HoldRecord(RetentionContract):
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None = None
    lifted_at: datetime | None = None


class RetentionState(RetentionContract):
    control_number: str
    # waiting, held, archiving, awaiting_confirmations, certified, cancelled
    status: str
    due_at: datetime | None
    holds: list[HoldRecord]
    cleared: dict[str, dict[str, int]]
    certificate_id: str | None = None
