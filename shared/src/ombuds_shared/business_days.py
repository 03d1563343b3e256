"""Business days on the U.S. federal holiday calendar (5 U.S.C. 6103), pure and deterministic.

Workflows import this through the sandbox (`imports_passed_through`): it reads no clock and
does no I/O, so the same inputs give the same deadline on every replay. Dates are calendar
dates; a deadline keeps the time of day it was counted from (the workflows count in UTC).
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

SATURDAY = 5
SUNDAY = 6
MONDAY = 0
THURSDAY = 3


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 = Monday) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A holiday on a Saturday is observed the Friday before, on a Sunday the Monday after."""
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def _inauguration_day(year: int) -> date | None:
    """January 20 after a presidential election (observed Monday if on a Sunday)."""
    if year % 4 != 1:
        return None
    day = date(year, 1, 20)
    return day + timedelta(days=1) if day.weekday() == SUNDAY else day


@lru_cache(maxsize=256)
def federal_holidays(year: int, inauguration_day: bool = False) -> frozenset[date]:
    """The observed dates of the federal holidays that fall in `year`.

    New Year's Day of the next year, when it is a Saturday, is observed on December 31 of
    this one, so it is included here (and the year it names has no observed New Year's Day).
    """
    fixed = [
        date(year, 1, 1),
        date(year, 7, 4),
        date(year, 11, 11),
        date(year, 12, 25),
        date(year + 1, 1, 1),
    ]
    if year >= 2021:  # Juneteenth National Independence Day Act, 2021
        fixed.append(date(year, 6, 19))
    observed = {_observed(day) for day in fixed}
    observed |= {
        _nth_weekday(year, 1, MONDAY, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, MONDAY, 3),  # Washington's Birthday
        _last_weekday(year, 5, MONDAY),  # Memorial Day
        _nth_weekday(year, 9, MONDAY, 1),  # Labor Day
        _nth_weekday(year, 10, MONDAY, 2),  # Columbus Day
        _nth_weekday(year, 11, THURSDAY, 4),  # Thanksgiving Day
    }
    if inauguration_day and (inauguration := _inauguration_day(year)) is not None:
        observed.add(inauguration)
    return frozenset(day for day in observed if day.year == year)


def is_business_day(day: date, inauguration_day: bool = False) -> bool:
    return day.weekday() < SATURDAY and day not in federal_holidays(day.year, inauguration_day)


def add_business_days(start: date, days: int, inauguration_day: bool = False) -> date:
    """The date `days` business days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, inauguration_day):
            remaining -= 1
    return current


def business_deadline(start: datetime, days: int, inauguration_day: bool = False) -> datetime:
    """`days` business days after `start`, at the same time of day."""
    end = add_business_days(start.date(), days, inauguration_day)
    return datetime.combine(end, start.timetz())


def count_business_days(start: date, end: date, inauguration_day: bool = False) -> int:
    """Business days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -count_business_days(end, start, inauguration_day)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, inauguration_day):
            count += 1
    return count
