"""I2: the minor flag is computed at access time, exactly, around birthdays and 29 February."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fanguai.people.idcard import check_digit, parse_id_card
from fanguai.people.service import age_on, minor_status, today_in_beijing


def _oracle_age(born: date, today: date) -> int:
    # Count birthdays one by one (slow and obvious); 29 February counts on 1 March otherwise.
    age = 0
    year = born.year + 1
    while True:
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = date(year, 3, 1)
        if birthday > today:
            return age
        age += 1
        year += 1


@settings(max_examples=5000, deadline=None)
@given(
    born=st.dates(date(1950, 1, 1), date(2025, 12, 31)),
    today=st.dates(date(2020, 1, 1), date(2045, 12, 31)),
)
def test_age_and_minor_status_agree_with_counting_birthdays(born, today) -> None:  # type: ignore[no-untyped-def]
    if today < born:
        return
    age = _oracle_age(born, today)
    assert age_on(born, today) == age
    want = "under14" if age < 14 else "under18" if age < 18 else "adult"
    assert minor_status(born, None, None, today) == want


def test_the_18th_and_14th_birthdays_change_the_flag_that_day() -> None:
    assert minor_status(date(2008, 6, 1), None, None, date(2026, 5, 31)) == "under18"
    assert minor_status(date(2008, 6, 1), None, None, date(2026, 6, 1)) == "adult"
    assert minor_status(date(2012, 6, 1), None, None, date(2026, 5, 31)) == "under14"
    assert minor_status(date(2012, 6, 1), None, None, date(2026, 6, 1)) == "under18"


def test_a_29_february_child_comes_of_age_on_1_march_in_common_years() -> None:
    born = date(2008, 2, 29)
    assert minor_status(born, None, None, date(2026, 2, 28)) == "under18"
    assert minor_status(born, None, None, date(2026, 3, 1)) == "adult"
    assert minor_status(date(2012, 2, 29), None, None, date(2030, 2, 28)) == "under18"


def test_the_day_turns_at_beijing_midnight_not_utc() -> None:
    # 2026-06-01 00:30 in Beijing is still 31 May in UTC.
    instant = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)
    assert today_in_beijing(instant) == date(2026, 6, 1)
    assert today_in_beijing(instant - timedelta(hours=1)) == date(2026, 5, 31)


def test_an_estimated_age_range_decides_only_when_it_can() -> None:
    today = date(2026, 1, 1)
    assert minor_status(None, 5, 7, today) == "under14"
    assert minor_status(None, 15, 17, today) == "under18"
    assert minor_status(None, 16, 20, today) == "unknown"  # straddles 18: protect as a minor
    assert minor_status(None, 19, 25, today) == "adult"
    assert minor_status(None, None, None, today) == "unknown"


@settings(max_examples=2000, deadline=None)
@given(
    region=st.sampled_from(["320508", "320102", "110105", "440305"]),
    born=st.dates(date(1950, 1, 1), date(2020, 12, 31)),
    serial=st.integers(0, 999),
)
def test_every_valid_id_number_is_accepted_and_every_single_digit_change_refused(  # type: ignore[no-untyped-def]
    region, born, serial
) -> None:
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    number = first17 + check_digit(first17)
    card = parse_id_card(number, today=date(2026, 1, 1))
    assert card.birth_date == born and card.sex == ("male" if serial % 2 else "female")
    position = serial % 17
    changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
    try:
        parse_id_card(changed, today=date(2026, 1, 1))
    except Exception as exc:  # noqa: BLE001 - any refusal is right; acceptance is the failure
        assert "ID number" in str(exc)
    else:
        raise AssertionError(f"{changed} accepted after changing digit {position}")


def test_an_upper_age_bound_alone_is_protected_as_a_minor() -> None:
    # A found child estimated "under 30" may well be 12: without a lower bound, never an adult.
    assert minor_status(None, None, 30, date(2026, 1, 1)) == "unknown"
