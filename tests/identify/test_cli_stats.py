"""``fanguai identify``: the working calendar kept by an operator, deadlines; and the dashboard
figures grouped by county and Beijing month."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from fanguai.cli.main import app
from fanguai.errors import Forbidden
from fanguai.identify import actions, stats
from fanguai.identify.calendar import BEIJING, load_calendar
from fanguai.settings import get_settings
from tests.identify.conftest import as_actor


@pytest.fixture
def cli(tmp_path, monkeypatch, field_crypto):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("FANGUAI_DEMO", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_an_operator_enters_next_years_notice_and_the_deadlines_follow(cli) -> None:  # type: ignore[no-untyped-def]
    # Before: 1 Jan 2027 is a Friday and counts as a working day.
    assert (
        cli("identify", "deadline", "2026-12-31T10:00:00+08:00", "--days", "1").stdout.strip()
        == "2027-01-02 00:00"
    )
    added = cli("identify", "holidays", "add", "2027-01-01", "--kind", "holiday", "--name", "元旦")
    assert added.exit_code == 0, added.output
    assert (
        cli("identify", "deadline", "2026-12-31T10:00:00+08:00", "--days", "1").stdout.strip()
        == "2027-01-05 00:00"
    )
    listed = cli("identify", "holidays", "list", "--year", "2027")
    assert "2027-01-01\tholiday\t元旦\tentered" in listed.stdout
    assert cli("identify", "holidays", "remove", "2027-01-01").exit_code == 0
    assert cli("identify", "holidays", "list", "--year", "2027").stdout.strip() == ""


def test_the_command_refuses_a_bad_kind_and_an_unknown_day(cli) -> None:  # type: ignore[no-untyped-def]
    bad = cli("identify", "holidays", "add", "2027-01-01", "--kind", "vacation", "--name", "x")
    assert bad.exit_code != 0 and "--kind" in bad.output
    missing = cli("identify", "holidays", "remove", "2027-03-03")
    assert missing.exit_code == 1 and "has no entry" in missing.output


def test_staff_cannot_change_the_calendar(session) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    with pytest.raises(Forbidden):
        actions.set_calendar_day(
            session,
            actor=as_actor(session, "gusu.chief"),
            day=date(2027, 1, 1),
            kind="holiday",
            name="元旦",
        )


def test_the_calendar_table_overrides_the_builtin_day(session) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from fanguai.core.actor import cli_actor

    actions.set_calendar_day(
        session, actor=cli_actor("test"), day=date(2026, 2, 14), kind="holiday", name="更正"
    )
    assert not load_calendar(session).is_working_day(date(2026, 2, 14))


def test_registrations_are_counted_by_county_and_beijing_month(register, session) -> None:  # type: ignore[no-untyped-def]
    before = {(c, m): n for c, m, n in stats.counts_by_county_month(session)}
    # 16:30 UTC on 31 March is already 1 April in Beijing.
    late = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    register("gusu.police", now=late, found_at=late.astimezone(BEIJING).replace(hour=0))
    register(
        "wuzhong.police",
        county_code="320506",
        now=late,
        found_at=late.astimezone(BEIJING).replace(hour=0),
    )
    after = {(c, m): n for c, m, n in stats.counts_by_county_month(session)}
    assert after[("320508", "2026-04")] == before.get(("320508", "2026-04"), 0) + 1
    assert after[("320506", "2026-04")] == before.get(("320506", "2026-04"), 0) + 1
    from_late = sum(n for _, _, n in stats.counts_by_county_month(session, since=late))
    after_late = sum(
        n for _, _, n in stats.counts_by_county_month(session, since=late + timedelta(seconds=1))
    )
    assert from_late - after_late == 2


def test_identified_figures_count_confirmations(session) -> None:  # type: ignore[no-untyped-def]
    # The demo signed one identification.
    rows = stats.identified_by_county_month(session)
    assert sum(n for _, _, n in rows) >= 1
    assert stats.status_counts(session).get("identified", 0) >= 1


def test_the_stats_command_prints_json(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("identify", "stats")
    assert out.exit_code == 0 and json.loads(out.stdout) == {
        "registered": [],
        "identified": [],
        "status": {},
    }


def test_the_commands_refuse_a_database_that_does_not_exist(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "absent.sqlite3"
    monkeypatch.setenv("FANGUAI_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["identify", "holidays", "list"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1 and "fanguai db upgrade" in out.output
    assert not path.exists()
