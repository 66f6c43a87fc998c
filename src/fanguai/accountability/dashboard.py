"""The joint conference's dashboard (联席会议工作看板): aggregates only.

Plan progress comes from the reports of the current cycle. Live figures come from the
operational modules that exist: each ``fanguai/<module>/stats.py`` offers
``counts_by_county_month(session, *, since=None) -> [(county code, "YYYY-MM", count)]``.
A worker job folds those into ``dashboard_rollup`` (a few thousand rows), so that the dashboard
reads a small table however many leads and cases the database holds: incrementally (the current
and previous month) every few minutes, in full once a day.

Counts of people-related records below ``SUPPRESS_BELOW`` are shown as "<10", and where a
city's counties would leave exactly one such cell derivable from the city's total, the next
smallest county is hidden too. Plan-progress counts (reports filed by units) concern the
units' work, not people, and are shown as they are.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fanguai import geo
from fanguai.accountability import service
from fanguai.accountability.catalogue import LIVE_SOURCES, SERVICE_LABELS, SUPPRESS_BELOW
from fanguai.accountability.models import RollupCount, RollupExtra, RollupState
from fanguai.core.actions import action
from fanguai.core.actor import Actor, system_actor
from fanguai.db import Database
from fanguai.security.scope import covers

log = logging.getLogger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")
INCREMENTAL_EVERY = timedelta(minutes=5)
FULL_EVERY = timedelta(days=1)
MAX_MONTHS = 36


# --- sources and the rollup -------------------------------------------------------------------


Counter = Callable[..., list[tuple[str, str, int]]]


def _stats_module(module: str) -> ModuleType | None:
    name = f"fanguai.{module}.stats"
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def available_sources() -> dict[str, Counter]:
    """The live figures whose module's stats.py exists: source name -> its counting function."""
    found: dict[str, Counter] = {}
    for name, (module, function, _label) in LIVE_SOURCES.items():
        stats = _stats_module(module)
        counter = getattr(stats, function, None) if stats is not None else None
        if counter is not None:
            found[name] = counter
    return found


def source_label(name: str) -> str:
    """What a source counts, in Chinese."""
    return LIVE_SOURCES[name][2]


def month_of(when: datetime) -> str:
    """``YYYY-MM`` of an instant in Beijing time."""
    return when.astimezone(BEIJING).strftime("%Y-%m")


def month_start(month: str) -> datetime:
    """The first instant of a Beijing month, in UTC."""
    year, mon = (int(p) for p in month.split("-"))
    return datetime(year, mon, 1, tzinfo=BEIJING).astimezone(UTC)


def shift_month(month: str, delta: int) -> str:
    """The month ``delta`` months after ``month``."""
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def refresh_rollup(
    db: Database,
    now: datetime,
    *,
    force_full: bool = False,
    force: bool = False,
    sources: list[str] | None = None,
) -> int:
    """Bring the rollup up to date for each source that is due (every source with ``force``);
    returns the rows written."""
    with db.session() as session:
        return refresh_with(session, now, force_full=force_full, force=force, sources=sources)


def refresh_with(
    session: Session,
    now: datetime,
    *,
    force_full: bool = False,
    force: bool = False,
    sources: list[str] | None = None,
) -> int:
    """``refresh_rollup`` on a given session (one action per source refreshed)."""
    written = 0
    refreshed = False
    for name, counter in available_sources().items():
        if sources is not None and name not in sources:
            continue
        state = session.get(RollupState, name)
        full = force_full or state is None or now - state.full_at >= FULL_EVERY
        due = force or full or state is None or now - state.refreshed_at >= INCREMENTAL_EVERY
        session.rollback()
        if not due:
            continue
        try:
            written += _refresh_source(session, name, counter, now, full=full)
            refreshed = True
        except Exception:  # noqa: BLE001 - one broken source must not hold back the others
            session.rollback()
            log.exception("dashboard rollup of %s failed", name)
    if refreshed and sources is None:
        _refresh_extras(session, now)
    return written


def _refresh_source(
    session: Session, name: str, counter: Counter, now: datetime, *, full: bool
) -> int:
    first = None if full else shift_month(month_of(now), -1)
    since = None if first is None else month_start(first)
    # Read outside the write transaction: the aggregation is the slow part.
    rows = counter(session, since=since)
    session.rollback()
    with action(
        session, system_actor("worker:dashboard"), "dashboard.refresh", object_type="dashboard"
    ) as act:
        stmt = delete(RollupCount).where(RollupCount.source == name)
        if first is not None:
            stmt = stmt.where(RollupCount.month >= first)
        session.execute(stmt)
        merged: dict[tuple[str, str], int] = defaultdict(int)
        for county, month, count in rows:
            if first is None or month >= first:
                merged[(county, month)] += int(count)
        session.add_all(
            RollupCount(source=name, county_code=c, month=m, count=n)
            for (c, m), n in merged.items()
        )
        state = session.get(RollupState, name)
        if state is None:
            state = RollupState(source=name, refreshed_at=now, full_at=now)
            session.add(state)
        state.refreshed_at = now
        if full:
            state.full_at = now
        act.object_id = name
        act.detail.update({"full": full, "rows": len(merged)})
    return len(merged)


EXTRAS_MONTHS = 12


def _extra_values(session: Session, now: datetime) -> dict[str, object]:
    """Figures that are not counts by county and month, over the last 12 months."""
    since = month_start(shift_month(month_of(now), -(EXTRAS_MONTHS - 1)))
    values: dict[str, object] = {}
    alerts = _stats_module("alerts")
    if alerts is not None and hasattr(alerts, "median_hours_to_find"):
        values["alerts.median_hours_to_find"] = alerts.median_hours_to_find(session, since=since)
    victims = _stats_module("victims")
    if victims is not None and hasattr(victims, "served_counts"):
        values["victims.served"] = [list(r) for r in victims.served_counts(session, since=since)]
    return values


def _refresh_extras(session: Session, now: datetime) -> None:
    try:
        values = _extra_values(session, now)
    except Exception:  # noqa: BLE001 - the counts still stand without the extras
        session.rollback()
        log.exception("dashboard extras failed")
        return
    session.rollback()
    with action(
        session,
        system_actor("worker:dashboard"),
        "dashboard.refresh_extras",
        object_type="dashboard",
    ) as act:
        for name, value in values.items():
            row = session.get(RollupExtra, name)
            if row is None:
                session.add(RollupExtra(name=name, value=value, refreshed_at=now))
            else:
                row.value, row.refreshed_at = value, now
        act.detail["names"] = sorted(values)


def extras(session: Session, *, actor: Actor) -> dict[str, object]:
    """The extras as the dashboard shows them: the province's median time to find a missing
    child, and victim services by kind inside the jurisdiction (small counts suppressed)."""
    rows = {r.name: r for r in session.execute(select(RollupExtra)).scalars()}
    out: dict[str, object] = {}
    median = rows.get("alerts.median_hours_to_find")
    if median is not None:
        out["median_hours_to_find"] = median.value
    served = rows.get("victims.served")
    if served is not None and isinstance(served.value, list):
        by_kind: dict[str, int] = defaultdict(int)
        for county, kind, count in served.value:
            if covers(actor, county):
                by_kind[kind] += int(count)
        out["served"] = [
            (kind, SERVICE_LABELS.get(kind, kind), shown(n)) for kind, n in sorted(by_kind.items())
        ]
    return out


# --- what the dashboard shows -----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, or None when it is suppressed."""

    value: int | None

    @property
    def label(self) -> str:
        return f"<{SUPPRESS_BELOW}" if self.value is None else str(self.value)


def shown(count: int) -> Cell:
    """A count, suppressed below the threshold."""
    return Cell(None if count < SUPPRESS_BELOW else count)


def suppress_counties(counts: dict[str, int]) -> dict[str, Cell]:
    """County cells with small counts hidden, plus one more per city where a single hidden
    cell could be worked out from the city's total."""
    cells = {code: shown(n) for code, n in counts.items()}
    by_city: dict[str, list[str]] = defaultdict(list)
    for code in counts:
        by_city[code[:4]].append(code)
    for codes in by_city.values():
        hidden = [c for c in codes if cells[c].value is None]
        visible = sorted((c for c in codes if cells[c].value is not None), key=lambda c: counts[c])
        if len(hidden) == 1 and visible:
            cells[visible[0]] = Cell(None)
    return cells


def period_months(now: datetime, months: int) -> list[str]:
    """The last ``months`` Beijing months up to the current one, oldest first."""
    last = month_of(now)
    return [shift_month(last, -i) for i in range(months - 1, -1, -1)]


def _in_view(actor: Actor, county: str, division: str | None) -> bool:
    if not covers(actor, county):
        return False
    if division is None or division.endswith("0000"):
        return True
    if division.endswith("00"):
        return county.startswith(division[:4])
    return county == division


def live_figures(
    session: Session,
    *,
    actor: Actor,
    source: str,
    months: int,
    now: datetime,
    division: str | None = None,
) -> dict:
    """A source's figures over the last months inside the actor's view: per county (map), per
    city or county (table), per month (trend), all with small counts suppressed."""
    wanted = period_months(now, months)
    rows = session.execute(
        select(RollupCount.county_code, RollupCount.month, RollupCount.count).where(
            RollupCount.source == source, RollupCount.month >= wanted[0]
        )
    ).all()
    by_county: dict[str, int] = defaultdict(int)
    by_month: dict[str, int] = defaultdict(int)
    in_scope: dict[str, int] = defaultdict(int)
    for county, month, count in rows:
        if not covers(actor, county):
            continue
        in_scope[county] += count
        if _in_view(actor, county, division):
            by_county[county] += count
            by_month[month] += count
    counties = [d.code for d in geo.divisions("county") if covers(actor, d.code)]
    county_cells = suppress_counties({c: in_scope.get(c, 0) for c in counties})
    return {
        "source": source,
        "label": source_label(source),
        "months": wanted,
        "total": shown(sum(by_county.values())),
        "map": {c: county_cells[c] for c in counties},
        "trend": [(m, shown(by_month.get(m, 0))) for m in wanted],
        "table": _table(actor, in_scope, county_cells, division),
    }


def _table(
    actor: Actor, counts: dict[str, int], cells: dict[str, Cell], division: str | None
) -> list[tuple[str, str, Cell]]:
    """Cities (province view) or the counties of a city, with their counts."""
    if division and not division.endswith("0000"):
        city = division[:4] + "00"
        return [
            (d.code, d.name, cells.get(d.code, shown(0)))
            for d in geo.children(city)
            if covers(actor, d.code)
        ]
    out = []
    for city in geo.divisions("city"):
        codes = [d.code for d in geo.children(city.code) if covers(actor, d.code)]
        if codes:
            out.append((city.code, city.name, shown(sum(counts.get(c, 0) for c in codes))))
    return out


def refreshed_at(session: Session) -> dict[str, datetime]:
    """When each source's rollup was last refreshed."""
    return {s.source: s.refreshed_at for s in session.execute(select(RollupState)).scalars()}


def plan_progress(session: Session, *, actor: Actor, now: datetime) -> dict | None:
    """The current cycle's reports by plan section and the units with overdue reports."""
    cycle = service.current_cycle(session)
    if cycle is None:
        return None
    sections = service.progress_by_section(session, actor=actor, cycle=cycle, now=now)
    total = service.Tally()
    for _, _, tally, _ in sections:
        for name in ("due", "submitted", "on_time", "overdue", "escalated"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
    n_overdue, top = service.overdue_units(session, actor=actor, cycle=cycle, now=now)
    return {
        "cycle": cycle,
        "sections": sections,
        "overdue_count": n_overdue,
        "overdue_units": top,
        "total": total,
    }


def dashboard(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    source: str | None = None,
    months: int = 12,
    division: str | None = None,
) -> dict:
    """Everything the dashboard page shows (the live part for one source at a time)."""
    actor.require("dashboard.view")
    sources = list(available_sources())
    chosen = source if source in sources else (sources[0] if sources else None)
    months = max(1, min(MAX_MONTHS, months))
    totals = {
        name: live_figures(session, actor=actor, source=name, months=months, now=now)["total"]
        for name in sources
    }
    return {
        "plan": plan_progress(session, actor=actor, now=now),
        "sources": {name: source_label(name) for name in sources},
        "extras": extras(session, actor=actor),
        "source": chosen,
        "totals": totals,
        "live": (
            live_figures(
                session, actor=actor, source=chosen, months=months, now=now, division=division
            )
            if chosen
            else None
        ),
        "months": months,
        "division": division,
        "refreshed": refreshed_at(session),
    }
