"""Dates known to the day, the month or the year."""

from __future__ import annotations

from datetime import date

import pytest

from fanguai.linkage import DateRange, parse_date


def test_a_full_date_is_one_day():
    assert parse_date("2015-03-02") == DateRange(date(2015, 3, 2), date(2015, 3, 2), "day")


def test_a_month_covers_all_its_days():
    assert parse_date("2016-02") == DateRange(date(2016, 2, 1), date(2016, 2, 29), "month")
    assert parse_date("2015-02").last == date(2015, 2, 28)
    assert parse_date("2015-04").last == date(2015, 4, 30)


def test_a_year_covers_the_whole_year():
    r = parse_date("2015")
    assert (r.first, r.last, r.precision) == (date(2015, 1, 1), date(2015, 12, 31), "year")
    assert r.last_day - r.first_day == 364
    assert str(r) == "2015"


def test_day_numbers_count_from_1970():
    assert parse_date("1970-01-01").first_day == 0
    assert parse_date("1970-01").middle_day == 15


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2015-02-29", "2015-02 has 28 days"),
        ("2000-02-30", "2000-02 has 29 days"),
        ("2015-04-31", "has 30 days"),
        ("2015-13", "no month 13"),
        ("2015-00-10", "no month 0"),
        ("2015-01-00", "has 31 days"),
        ("1899", "year before 1900"),
        ("2015/03/02", "not a date"),
        ("15-03-02", "not a date"),
        ("2015-3-2", "not a date"),
        ("", "not a date"),
    ],
)
def test_impossible_or_malformed_dates_are_refused_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


def test_leap_days_exist_in_leap_years_only():
    assert parse_date("2000-02-29").first == date(2000, 2, 29)
    assert parse_date("2024-02-29").first == date(2024, 2, 29)
    with pytest.raises(ValueError):
        parse_date("1900-02-29")
