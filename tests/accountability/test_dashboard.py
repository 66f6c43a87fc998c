"""The dashboard: small counts suppressed, the rollup refreshed on a controlled clock, scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai.accountability import dashboard
from fanguai.accountability.dashboard import Cell, month_start, shift_month, suppress_counties
from fanguai.accountability.models import RollupCount, RollupState
from tests.accountability.helpers import actor

NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)  # 2026-12-10 12:00 Beijing


def test_counts_below_ten_are_hidden_and_so_is_the_cell_that_would_give_them_away() -> None:
    cells = suppress_counties({"320505": 12, "320506": 3, "320507": 50, "320102": 4, "320104": 2})
    assert cells["320506"] == Cell(None)
    assert cells["320505"] == Cell(None)  # else 苏州's total minus the others reveals 320506
    assert cells["320507"] == Cell(50)
    # Two hidden cells in 南京 already protect each other.
    assert cells["320102"] == Cell(None) and cells["320104"] == Cell(None)
    assert Cell(None).label == "<10" and Cell(10).label == "10"


def test_months_are_beijing_calendar_months() -> None:
    assert dashboard.month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == "2026-12"
    assert month_start("2026-12") == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert shift_month("2026-01", -1) == "2025-12"
    assert dashboard.period_months(NOW, 3) == ["2026-10", "2026-11", "2026-12"]


class FakeSource:
    """A module's stats: counts per county and month, recording what it was asked."""

    def __init__(self, rows: list[tuple[str, str, int]]) -> None:
        self.rows = rows
        self.calls: list[datetime | None] = []

    def counts_by_county_month(self, session, *, since=None):  # type: ignore[no-untyped-def]
        self.calls.append(since)
        if since is None:
            return list(self.rows)
        first = dashboard.month_of(since)
        return [r for r in self.rows if r[1] >= first]


@pytest.fixture
def fake(monkeypatch):  # type: ignore[no-untyped-def]
    source = FakeSource(
        [
            ("320508", "2026-06", 40),
            ("320508", "2026-11", 25),
            ("320508", "2026-12", 12),
            ("320506", "2026-12", 3),
            ("320102", "2026-12", 30),
        ]
    )
    monkeypatch.setattr(
        dashboard,
        "available_sources",
        lambda: {"leads": source.counts_by_county_month},
    )
    return source


def _rollup(session) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    rows = session.execute(select(RollupCount).where(RollupCount.source == "leads")).scalars()
    return {(r.county_code, r.month): r.count for r in rows}


def test_the_rollup_is_rebuilt_in_full_then_refreshed_for_the_last_two_months(
    db, session, fake
) -> None:  # type: ignore[no-untyped-def]
    assert dashboard.refresh_rollup(db, NOW, force_full=True) == 5
    assert fake.calls == [None]
    assert _rollup(session)[("320508", "2026-06")] == 40
    # Within five minutes nothing is recounted.
    assert dashboard.refresh_rollup(db, NOW + timedelta(minutes=4)) == 0
    assert len(fake.calls) == 1
    # New records arrive; the incremental pass recounts November and December only.
    fake.rows.append(("320508", "2026-12", 5))
    fake.rows[0] = ("320508", "2026-06", 999)  # an old month is not touched incrementally
    later = NOW + timedelta(minutes=6)
    assert dashboard.refresh_rollup(db, later) == 4
    assert fake.calls[-1] == month_start("2026-11")
    rollup = _rollup(session)
    assert rollup[("320508", "2026-12")] == 17 and rollup[("320508", "2026-06")] == 40
    state = session.get(RollupState, "leads")
    assert state.refreshed_at == later and state.full_at == NOW
    # A day after the last full pass, everything is recounted.
    dashboard.refresh_rollup(db, NOW + timedelta(days=1))
    assert fake.calls[-1] is None and _rollup(session)[("320508", "2026-06")] == 999


def test_a_broken_source_does_not_stop_the_others(db, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(session, *, since=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("table missing")

    good = FakeSource([("320508", "2026-12", 11)])
    monkeypatch.setattr(
        dashboard,
        "available_sources",
        lambda: {"alerts": broken, "leads": good.counts_by_county_month},
    )
    assert dashboard.refresh_rollup(db, NOW, force_full=True) == 1


def test_figures_stay_inside_the_jurisdiction_and_hide_small_counts(db, session, fake) -> None:  # type: ignore[no-untyped-def]
    dashboard.refresh_rollup(db, NOW, force_full=True)
    office = dashboard.live_figures(
        session, actor=actor(session, "jiangsu.office"), source="leads", months=12, now=NOW
    )
    assert len(office["map"]) == 95
    assert office["map"]["320508"] == Cell(77) and office["map"]["320102"] == Cell(30)
    assert office["map"]["320506"] == Cell(None)
    assert office["total"] == Cell(110)
    assert office["trend"][-1] == ("2026-12", Cell(45)) and office["trend"][-2] == (
        "2026-11",
        Cell(25),
    )
    table = dict((code, cell) for code, _, cell in office["table"])
    assert table["320500"] == Cell(80) and table["320100"] == Cell(30)
    chief = dashboard.live_figures(
        session, actor=actor(session, "gusu.chief"), source="leads", months=12, now=NOW
    )
    assert list(chief["map"]) == ["320508"]
    assert chief["total"] == Cell(77)
    # Drill-down to 苏州: its counties, and the trend of the city only.
    city = dashboard.live_figures(
        session,
        actor=actor(session, "jiangsu.office"),
        source="leads",
        months=12,
        now=NOW,
        division="320500",
    )
    assert city["trend"][-1] == ("2026-12", Cell(15))
    rows = {code: cell for code, _, cell in city["table"]}
    assert rows["320508"] == Cell(77) and rows["320506"] == Cell(None)
    assert "320102" not in rows


def test_the_dashboard_api_and_page_show_the_map_data(login, db, fake) -> None:  # type: ignore[no-untyped-def]
    dashboard.refresh_rollup(db, datetime.now(UTC), force_full=True)
    office = login("jiangsu.office")
    body = office.get("/api/dashboard", params={"source": "leads"}).json()
    assert body["source"] == "leads"
    assert body["live"]["by_county"]["320506"] == "<10"
    assert body["plan"]["reports"]["due"] > 0
    page = office.get("/dashboard", params={"source": "leads"})
    assert page.status_code == 200 and 'id="dash-map"' in page.text
    assert "&#34;320506&#34;: null" in page.text or '"320506": null' in page.text
    assert login("gusu.chief").get("/api/dashboard").status_code == 200
    assert login("jiangsu.mz.liaison").get("/api/dashboard").status_code == 403


def test_extras_are_refreshed_with_the_counts_and_scoped(db, session, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    served = [("320508", "shelter", 14), ("320506", "shelter", 3), ("320102", "legal_aid", 4)]
    asked: list = []

    def values(session, now):  # type: ignore[no-untyped-def]
        asked.append(now)
        return {"alerts.median_hours_to_find": 30.5, "victims.served": [list(r) for r in served]}

    monkeypatch.setattr(dashboard, "_extra_values", values)
    dashboard.refresh_rollup(db, NOW, force_full=True)
    assert asked == [NOW]
    office = dashboard.extras(session, actor=actor(session, "jiangsu.office"))
    assert office["median_hours_to_find"] == 30.5
    assert office["served"] == [
        ("legal_aid", "法律援助", Cell(None)),
        ("shelter", "救助安置", Cell(17)),
    ]
    chief = dashboard.extras(session, actor=actor(session, "gusu.chief"))
    assert chief["served"] == [("shelter", "救助安置", Cell(14))]
