"""The working-day calendar: weekends, the 2026 State Council notice, entered days, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fanguai.identify.calendar import BEIJING, WorkingCalendar


def test_a_plain_week_has_five_working_days() -> None:
    cal = WorkingCalendar()
    week = [date(2026, 3, 9 + i) for i in range(7)]  # Monday 9 March 2026 to Sunday
    assert [cal.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # 元旦
        (date(2026, 1, 4), True),  # Sunday worked (调休)
        (date(2026, 2, 14), True),  # Saturday worked before the Spring Festival
        (date(2026, 2, 16), False),  # Monday of the Spring Festival
        (date(2026, 2, 23), False),  # last day of the nine
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday worked after it
        (date(2026, 4, 6), False),  # 清明节 Monday
        (date(2026, 5, 5), False),  # 劳动节 Tuesday
        (date(2026, 5, 9), True),  # Saturday worked
        (date(2026, 6, 19), False),  # 端午节 Friday
        (date(2026, 9, 25), False),  # 中秋节 Friday
        (date(2026, 9, 20), True),  # Sunday worked before National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday worked after it
    ],
)
def test_the_2026_notice_is_built_in(day: date, working: bool) -> None:
    assert WorkingCalendar().is_working_day(day) is working


def test_seven_working_days_skip_the_spring_festival_and_count_the_makeup_saturday() -> None:
    cal = WorkingCalendar()
    # Thursday 12 Feb: Fri 13, Sat 14 (worked), the holiday to Mon 23, Tue 24 to Fri 27, Sat 28
    assert cal.add_working_days(date(2026, 2, 12), 7) == date(2026, 2, 28)


def test_the_deadline_ends_at_beijing_midnight_after_the_last_working_day() -> None:
    cal = WorkingCalendar()
    start = datetime(2026, 3, 13, 23, 30, tzinfo=BEIJING)  # a Friday, late evening
    due = cal.deadline(start, 7)  # Mon 16 .. Tue 24 March
    assert due == datetime(2026, 3, 25, 0, 0, tzinfo=BEIJING).astimezone(UTC)


def test_the_start_day_never_counts_even_early_in_the_morning() -> None:
    cal = WorkingCalendar()
    start = datetime(2026, 3, 9, 0, 1, tzinfo=BEIJING)  # Monday just after midnight
    assert cal.deadline(start, 1) == datetime(2026, 3, 11, tzinfo=BEIJING).astimezone(UTC)


def test_entered_days_add_to_and_override_the_builtin_notice() -> None:
    cal = WorkingCalendar(
        [
            (date(2027, 1, 1), "holiday", "元旦"),  # a later year, entered by an operator
            (date(2026, 2, 14), "holiday", "更正"),  # overrides a built-in make-up day
        ]
    )
    assert not cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2026, 2, 14))
    assert cal.has_arrangement(2027) and cal.has_arrangement(2026)
    assert not WorkingCalendar().has_arrangement(2027)


def test_a_year_without_a_notice_has_weekends_only() -> None:
    cal = WorkingCalendar()
    assert cal.is_working_day(date(2027, 10, 1))  # no invented National Day for 2027
    assert cal.entries(2027) == []


def test_an_unknown_kind_is_refused() -> None:
    from fanguai.errors import InvalidInput

    with pytest.raises(InvalidInput):
        WorkingCalendar([(date(2026, 3, 2), "vacation", "x")])
