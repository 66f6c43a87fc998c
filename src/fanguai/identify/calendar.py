"""The working-day calendar (工作日历): weekends, public holidays and make-up working days (调休).

China's public holidays and the weekend days worked in exchange are announced each year by the
General Office of the State Council, so they cannot be computed: an administrator keeps them in
the ``working_calendar_day`` table (``fanguai identify holidays ...``). The arrangement for 2026
is built in (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04); entries in the table add
to it and override it day by day. Later years stay empty until someone enters their notice:
then only weekends are days off, which the calendar page says.

A deadline of N working days counts from the day after the start (the start day itself never
counts, whatever the hour) and ends at the close of the N-th working day, Beijing time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.errors import InvalidInput

BEIJING = ZoneInfo("Asia/Shanghai")
KINDS = ("holiday", "workday")
# Years whose arrangement is built in (a year outside this set has weekends only, unless entered).
BUILTIN_YEARS = frozenset({2026})


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _builtin() -> dict[date, tuple[str, str]]:
    """The 2026 notice: (kind, name) per day."""
    days: dict[date, tuple[str, str]] = {}
    holidays = (
        ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
        ("春节", date(2026, 2, 15), date(2026, 2, 23)),
        ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
        ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
        ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
        ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
        ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
    )
    for name, first, last in holidays:
        for day in _days(first, last):
            days[day] = ("holiday", name)
    workdays = (
        ("元旦调休上班", date(2026, 1, 4)),
        ("春节调休上班", date(2026, 2, 14)),
        ("春节调休上班", date(2026, 2, 28)),
        ("劳动节调休上班", date(2026, 5, 9)),
        ("国庆节调休上班", date(2026, 9, 20)),
        ("国庆节调休上班", date(2026, 10, 10)),
    )
    for name, day in workdays:
        days[day] = ("workday", name)
    return days


BUILTIN: Mapping[date, tuple[str, str]] = _builtin()


@dataclass(frozen=True)
class CalendarEntry:
    """A day that differs from the plain weekday/weekend rule."""

    day: date
    kind: str  # holiday | workday
    name: str
    builtin: bool


class WorkingCalendar:
    """Which days are working days, from the built-in notice plus the administrator's entries.

    >>> cal = WorkingCalendar()
    >>> cal.is_working_day(date(2026, 2, 14))  # a Saturday worked before the Spring Festival
    True
    >>> cal.add_working_days(date(2026, 2, 12), 2)  # Fri 13, Sat 14 (调休)
    datetime.date(2026, 2, 14)
    """

    def __init__(self, entries: Iterable[tuple[date, str, str]] = ()) -> None:
        self._days: dict[date, CalendarEntry] = {
            day: CalendarEntry(day, kind, name, True) for day, (kind, name) in BUILTIN.items()
        }
        for day, kind, name in entries:
            if kind not in KINDS:
                raise InvalidInput(f"calendar day kind must be one of {KINDS}", field="kind")
            self._days[day] = CalendarEntry(day, kind, name, False)

    def entry(self, day: date) -> CalendarEntry | None:
        """The holiday or make-up working day on ``day``, if any."""
        return self._days.get(day)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday unless a holiday; a weekend day only when it is a make-up day."""
        entry = self._days.get(day)
        if entry is not None:
            return entry.kind == "workday"
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself does not count)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, found = start, 0
        while found < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        return day

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """The end (24:00 Beijing time) of the ``working_days``-th working day after ``start``."""
        if start.tzinfo is None:
            raise ValueError("start needs a time zone")
        last = self.add_working_days(start.astimezone(BEIJING).date(), working_days)
        end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=BEIJING)
        return end.astimezone(UTC)

    def entries(self, year: int) -> list[CalendarEntry]:
        """The year's holidays and make-up working days, in date order."""
        return sorted((e for d, e in self._days.items() if d.year == year), key=lambda e: e.day)

    def has_arrangement(self, year: int) -> bool:
        """Whether the year's holiday arrangement is known (built in or entered)."""
        return year in BUILTIN_YEARS or any(
            d.year == year and not e.builtin for d, e in self._days.items()
        )


def load_calendar(session: Session) -> WorkingCalendar:
    """The calendar with the administrator's entries from the database."""
    from fanguai.identify.models import CalendarDay

    rows = session.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)).all()
    return WorkingCalendar((row.day, row.kind, row.name) for row in rows)
