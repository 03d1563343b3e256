"""How long an accounting row is kept: five years from the disclosure or the life of the
record (until its purge, five years after the case closes), whichever is longer."""

from datetime import datetime

ACCOUNTING_YEARS = 5
# ARCHITECTURE: a case is kept five years after closure, then archived and purged.
RECORD_YEARS_AFTER_CLOSURE = 5


def years_after(moment: datetime, years: int) -> datetime:
    """The same day and time `years` later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def record_purge_date(closed_at: datetime | None) -> datetime | None:
    """When the case's record may be purged; None while the case is open (not yet known)."""
    return None if closed_at is None else years_after(closed_at, RECORD_YEARS_AFTER_CLOSURE)


def retain_until(disclosed_at: datetime, purge_date: datetime | None) -> datetime:
    """max(disclosure + 5 years, the record's purge date); while the purge date is unknown,
    the floor, to be raised by `extend_for_purge_date` once the case closes."""
    floor = years_after(disclosed_at, ACCOUNTING_YEARS)
    return floor if purge_date is None else max(floor, purge_date)
