"""Business days on the federal holiday calendar: weekends, holidays, observed dates, year ends."""

from datetime import UTC, date, datetime

import pytest

from ombuds_shared.business_days import (
    add_business_days,
    business_deadline,
    count_business_days,
    federal_holidays,
    is_business_day,
)


def test_the_eleven_holidays_of_2026() -> None:
    assert sorted(federal_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 19),  # King, third Monday
        date(2026, 2, 16),  # Washington, third Monday
        date(2026, 5, 25),  # Memorial Day, last Monday
        date(2026, 6, 19),
        date(2026, 7, 3),  # July 4 is a Saturday: observed Friday
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),  # Thanksgiving, fourth Thursday
        date(2026, 12, 25),
    ]


def test_across_a_weekend() -> None:
    friday = date(2026, 3, 13)
    assert add_business_days(friday, 1) == date(2026, 3, 16)
    assert add_business_days(friday, 5) == date(2026, 3, 20)


def test_across_thanksgiving() -> None:
    wednesday = date(2026, 11, 25)
    # Thursday is Thanksgiving, Friday counts, then the weekend.
    assert add_business_days(wednesday, 1) == date(2026, 11, 27)
    assert add_business_days(wednesday, 2) == date(2026, 11, 30)


def test_july_4_on_a_saturday_is_observed_on_friday() -> None:
    assert not is_business_day(date(2026, 7, 3))
    assert add_business_days(date(2026, 7, 2), 1) == date(2026, 7, 6)


def test_july_4_on_a_sunday_is_observed_on_monday() -> None:
    assert date(2027, 7, 5) in federal_holidays(2027)
    assert add_business_days(date(2027, 7, 2), 1) == date(2027, 7, 6)


def test_new_year_on_a_saturday_is_observed_on_december_31() -> None:
    # January 1, 2028 is a Saturday: Friday December 31, 2027 is the holiday.
    assert date(2027, 12, 31) in federal_holidays(2027)
    assert date(2028, 1, 1) not in federal_holidays(2028)
    assert add_business_days(date(2027, 12, 30), 1) == date(2028, 1, 3)


def test_across_the_year_end() -> None:
    # Christmas 2026 is a Friday; New Year's Day 2027 is a Friday.
    assert add_business_days(date(2026, 12, 24), 3) == date(2026, 12, 30)
    assert add_business_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_inauguration_day_is_optional() -> None:
    # January 20, 2025 was a Monday (also King Day); 2037's is a Tuesday.
    assert date(2037, 1, 20) not in federal_holidays(2037)
    assert date(2037, 1, 20) in federal_holidays(2037, inauguration_day=True)
    assert add_business_days(date(2037, 1, 19), 1) == date(2037, 1, 20)
    assert add_business_days(date(2037, 1, 19), 1, inauguration_day=True) == date(2037, 1, 21)
    # Not in a year after no election.
    assert date(2038, 1, 20) not in federal_holidays(2038, inauguration_day=True)


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert add_business_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    with pytest.raises(ValueError, match="days"):
        add_business_days(date(2026, 1, 1), -1)


def test_deadline_keeps_the_time_of_day() -> None:
    start = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    assert business_deadline(start, 2) == datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


def test_counting_business_days_paused_skips_thanksgiving_and_the_weekend() -> None:
    # After Wednesday 26 November 2031 up to Monday 1 December: Friday and Monday.
    assert count_business_days(date(2031, 11, 26), date(2031, 12, 1)) == 2
    assert count_business_days(date(2031, 11, 26), date(2031, 11, 26)) == 0
    assert count_business_days(date(2031, 12, 1), date(2031, 11, 26)) == -2


@pytest.mark.parametrize("days", [0, 1, 3, 10, 30])
def test_counting_undoes_adding(days: int) -> None:
    start = date(2031, 11, 26)
    assert count_business_days(start, add_business_days(start, days)) == days
