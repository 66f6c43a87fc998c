"""Dates known to the day, the month or the year: each is the range of days it may be."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

__all__ = ["EARLIEST_YEAR", "PRECISIONS", "DateRange", "parse_date"]

PRECISIONS = ("day", "month", "year")
EARLIEST_YEAR = 1900

_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class DateRange:
    """The first and last day a date may be: one day, a whole month or a whole year."""

    first: date
    last: date
    precision: str

    @property
    def first_day(self) -> int:
        """Days since 1970-01-01 of ``first``."""
        return self.first.toordinal() - _EPOCH

    @property
    def last_day(self) -> int:
        """Days since 1970-01-01 of ``last``."""
        return self.last.toordinal() - _EPOCH

    @property
    def middle_day(self) -> int:
        """Days since 1970-01-01 of the middle of the range (rounded down)."""
        return (self.first_day + self.last_day) // 2

    def __str__(self) -> str:
        text = self.first.isoformat()
        return {"day": text, "month": text[:7], "year": text[:4]}[self.precision]


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_date(value: str | date) -> DateRange:
    """Read ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (or a ``date``) as the range of days it covers.

    Raises ``ValueError`` with a short reason for anything else, including dates that do not
    exist (``2015-02-29``) and years before 1900.

    >>> parse_date("2015-02")
    DateRange(first=datetime.date(2015, 2, 1), last=datetime.date(2015, 2, 28), precision='month')
    """
    if isinstance(value, date):
        return DateRange(value, value, "day")
    return _parse_text(value)


@lru_cache(maxsize=1 << 16)
def _parse_text(value: str) -> DateRange:
    match = _PATTERN.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    year = int(match[1])
    if year < EARLIEST_YEAR:
        raise ValueError(f"impossible date {value!r}: year before {EARLIEST_YEAR}")
    if match[2] is None:
        return DateRange(date(year, 1, 1), date(year, 12, 31), "year")
    month = int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"impossible date {value!r}: there is no month {month}")
    days_in_month = _days_in_month(year, month)
    if match[3] is None:
        return DateRange(date(year, month, 1), date(year, month, days_in_month), "month")
    day = int(match[3])
    if not 1 <= day <= days_in_month:
        raise ValueError(f"impossible date {value!r}: {year}-{month:02d} has {days_in_month} days")
    exact = date(year, month, day)
    return DateRange(exact, exact, "day")
