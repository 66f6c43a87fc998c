"""Queries and rules of progress reporting: cycles, who answers for which measure, reports.

A progress report, a contribution and their evidence are joint-conference documents: every
member unit's staff with ``progress.read`` see those of units inside their jurisdiction, across
department lines (a county sees its county's, a city its city's and its counties', the province
all); outside it they answer "not found". Only the unit a report belongs to files it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from fanguai.accountability.catalogue import INDICATORS
from fanguai.accountability.models import (
    LocalMeasure,
    LocalMeasureUnit,
    LocalRules,
    ProgressContribution,
    ProgressEvidence,
    ProgressFigure,
    ProgressReport,
    ReportingCycle,
)
from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.org.models import Unit
from fanguai.plan import service as plan_service
from fanguai.plan.models import Measure, MeasureUnit
from fanguai.security.scope import covers, covers_clause


def list_cycles(session: Session, *, actor: Actor) -> list[ReportingCycle]:
    """Every reporting cycle, newest period first."""
    actor.require("progress.read")
    return list(
        session.execute(
            select(ReportingCycle).order_by(ReportingCycle.period_end.desc(), ReportingCycle.id)
        ).scalars()
    )


def current_cycle(session: Session) -> ReportingCycle | None:
    """The open cycle with the latest period, else the latest cycle, else None."""
    cycles = session.execute(
        select(ReportingCycle).order_by(
            (ReportingCycle.status == "open").desc(), ReportingCycle.period_end.desc()
        )
    ).scalars()
    return next(iter(cycles), None)


def get_cycle(session: Session, *, actor: Actor, public_id: str) -> ReportingCycle:
    """A cycle by its opaque ID (cycles are province-wide: anyone with progress.read sees them)."""
    actor.require("progress.read")
    cycle = session.execute(
        select(ReportingCycle).where(ReportingCycle.public_id == public_id)
    ).scalar_one_or_none()
    if cycle is None:
        raise NotFound("cycle not found")
    return cycle


# --- who answers for what ---------------------------------------------------------------------


@dataclass(frozen=True)
class Responsibility:
    """A measure a unit answers for, and in which role."""

    code: str
    section_code: str
    text: str
    role: str  # lead | cooperating
    sort_key: int
    measure_public_id: str | None  # the provincial measure, where there is one
    local: bool  # a measure of the division's local rules


def section_of(code: str) -> str:
    """The plan section a measure code belongs to: ``二(一)2(1)`` → ``二(一)``."""
    close = code.find(")")
    return code[: close + 1] if close >= 0 else code


def local_rules_of(session: Session, division_code: str) -> LocalRules | None:
    """The implementing rules a city or county adopted, if any."""
    return session.execute(
        select(LocalRules).where(LocalRules.division_code == division_code)
    ).scalar_one_or_none()


def responsibilities(session: Session, unit: Unit) -> list[Responsibility]:
    """The measures a unit leads or cooperates on, in the plan's order.

    A provincial member unit answers for what the plan names it in; a city or county unit for
    what its division's implementing rules name it in (nothing until the rules are adopted)."""
    if unit.level == "province":
        rows = session.execute(
            select(Measure, MeasureUnit.role)
            .join(MeasureUnit, MeasureUnit.measure_id == Measure.id)
            .where(
                MeasureUnit.unit_id == unit.id,
                Measure.version_id == plan_service.current_version(session).id,
            )
            .order_by(Measure.ordinal)
        ).all()
        return [
            Responsibility(
                m.code, section_of(m.code), m.text, role, m.ordinal, m.public_id, local=False
            )
            for m, role in rows
        ]
    rows = session.execute(
        select(LocalMeasure, LocalMeasureUnit.role)
        .join(LocalMeasureUnit, LocalMeasureUnit.local_measure_id == LocalMeasure.id)
        .where(LocalMeasureUnit.unit_id == unit.id)
        .order_by(LocalMeasure.sort_key)
    ).all()
    return [
        Responsibility(
            lm.code,
            lm.section_code,
            lm.text,
            role,
            lm.sort_key,
            lm.source.public_id if lm.source is not None else None,
            local=True,
        )
        for lm, role in rows
    ]


# --- reports ----------------------------------------------------------------------------------


def _in_scope(actor: Actor):  # type: ignore[no-untyped-def]
    return covers_clause(actor, ProgressReport.division_code)


def get_report_for(session: Session, *, actor: Actor, public_id: str) -> ProgressReport:
    """A report inside the actor's jurisdiction, else NotFound."""
    actor.require("progress.read")
    report = session.execute(
        select(ProgressReport).where(ProgressReport.public_id == public_id)
    ).scalar_one_or_none()
    if report is None or not covers(actor, report.division_code):
        raise NotFound("report not found")
    return report


def get_contribution_for(session: Session, *, actor: Actor, public_id: str) -> ProgressContribution:
    """A contribution inside the actor's jurisdiction, else NotFound."""
    actor.require("progress.read")
    contribution = session.execute(
        select(ProgressContribution).where(ProgressContribution.public_id == public_id)
    ).scalar_one_or_none()
    if contribution is None or not covers(actor, contribution.unit.division_code):
        raise NotFound("contribution not found")
    return contribution


def get_evidence_for(session: Session, *, actor: Actor, public_id: str) -> ProgressEvidence:
    """An evidence file of a report inside the actor's jurisdiction, else NotFound."""
    actor.require("progress.read")
    row = session.execute(
        select(ProgressEvidence, ProgressReport.division_code)
        .join(ProgressReport, ProgressReport.id == ProgressEvidence.report_id)
        .where(ProgressEvidence.public_id == public_id)
    ).first()
    if row is None or not covers(actor, row[1]):
        raise NotFound("evidence not found")
    return row[0]


def list_reports(
    session: Session,
    *,
    actor: Actor,
    cycle: ReportingCycle,
    unit_id: int | None = None,
    status: str | None = None,
    section: str | None = None,
    city: str | None = None,
) -> list[ProgressReport]:
    """Reports of a cycle inside the actor's jurisdiction, in the plan's order."""
    actor.require("progress.read")
    return reports_in_scope(
        session,
        actor=actor,
        cycle=cycle,
        unit_id=unit_id,
        status=status,
        section=section,
        city=city,
    )


def reports_in_scope(
    session: Session,
    *,
    actor: Actor,
    cycle: ReportingCycle,
    unit_id: int | None = None,
    status: str | None = None,
    section: str | None = None,
    city: str | None = None,
) -> list[ProgressReport]:
    """``list_reports`` without the permission check (aggregates for the dashboard)."""
    stmt = select(ProgressReport).where(ProgressReport.cycle_id == cycle.id, _in_scope(actor))
    if unit_id is not None:
        stmt = stmt.where(ProgressReport.unit_id == unit_id)
    if status:
        stmt = stmt.where(ProgressReport.status == status)
    if section:
        stmt = stmt.where(ProgressReport.section_code == section)
    if city:
        stmt = stmt.where(ProgressReport.division_code.startswith(city[:4], autoescape=True))
    stmt = stmt.order_by(ProgressReport.division_code, ProgressReport.sort_key, ProgressReport.id)
    return list(session.execute(stmt).scalars())


def contributions_of_unit(
    session: Session, *, actor: Actor, cycle: ReportingCycle, unit_id: int
) -> list[ProgressContribution]:
    """The contributions a unit owes in a cycle."""
    actor.require("progress.read")
    return list(
        session.execute(
            select(ProgressContribution)
            .join(ProgressReport, ProgressReport.id == ProgressContribution.report_id)
            .where(
                ProgressReport.cycle_id == cycle.id,
                ProgressContribution.unit_id == unit_id,
                _in_scope(actor),
            )
            .order_by(ProgressReport.sort_key)
        ).scalars()
    )


def measure_text(report: ProgressReport) -> str:
    """The text of the measure a report is about."""
    if report.local_measure is not None:
        return report.local_measure.text
    assert report.measure is not None
    return report.measure.text


def is_overdue(
    report: ProgressReport | ProgressContribution, due_at: datetime, now: datetime
) -> bool:
    """Not filed, and past the cycle's deadline (or flagged overdue by the worker's clock)."""
    flagged = isinstance(report, ProgressReport) and report.escalated_at is not None
    return report.status == "pending" and (now > due_at or flagged)


def on_time(report: ProgressReport, due_at: datetime) -> bool:
    """Filed by the deadline (the first filing counts)."""
    return report.submitted_at is not None and report.submitted_at <= due_at


@dataclass
class FigureTable:
    """A report's figures: the lead's own, each contribution's, and the consolidated totals."""

    own: dict[str, int] = field(default_factory=dict)
    by_contribution: dict[int, dict[str, int]] = field(default_factory=dict)

    def total(self) -> dict[str, int]:
        totals = dict(self.own)
        for part in self.by_contribution.values():
            for code, value in part.items():
                totals[code] = totals.get(code, 0) + value
        return {code: totals[code] for code in INDICATORS if code in totals}


def figures_of(session: Session, report: ProgressReport) -> FigureTable:
    """The figures of a report and of its filed contributions."""
    table = FigureTable()
    filed = {c.id for c in report.contributions if c.status == "submitted"}
    for fig in session.execute(
        select(ProgressFigure).where(ProgressFigure.report_id == report.id)
    ).scalars():
        if fig.contribution_id is None:
            table.own[fig.indicator] = fig.value
        elif fig.contribution_id in filed:
            table.by_contribution.setdefault(fig.contribution_id, {})[fig.indicator] = fig.value
    return table


def evidence_of(session: Session, report: ProgressReport) -> list[ProgressEvidence]:
    """The evidence files of a report and its contributions, oldest first."""
    return list(
        session.execute(
            select(ProgressEvidence)
            .where(ProgressEvidence.report_id == report.id)
            .order_by(ProgressEvidence.id)
        ).scalars()
    )


def consolidating_report(session: Session, report: ProgressReport) -> ProgressReport | None:
    """The report of the same measure and cycle that takes in the cooperating units' parts."""
    if report.consolidates:
        return report
    return session.execute(
        select(ProgressReport).where(
            ProgressReport.cycle_id == report.cycle_id,
            ProgressReport.measure_id.is_(None)
            if report.measure_id is None
            else ProgressReport.measure_id == report.measure_id,
            ProgressReport.local_measure_id.is_(None)
            if report.local_measure_id is None
            else ProgressReport.local_measure_id == report.local_measure_id,
            ProgressReport.consolidates,
        )
    ).scalar_one_or_none()


# --- progress by unit and section ---------------------------------------------------------------


@dataclass
class Tally:
    """Counts of reports (or contributions) due, filed, filed on time and overdue."""

    due: int = 0
    submitted: int = 0
    on_time: int = 0
    overdue: int = 0
    escalated: int = 0

    @property
    def rate(self) -> float:
        return round(100.0 * self.submitted / self.due, 1) if self.due else 0.0


def _count_into(
    tally: Tally,
    *,
    n: int,
    status: str,
    on_time: bool,
    escalated: bool,
    past_due: bool,
) -> None:
    """Add ``n`` reports (or contributions) of one kind to a tally."""
    tally.due += n
    if status == "submitted":
        tally.submitted += n
        tally.on_time += n if on_time else 0
    elif past_due or escalated:
        tally.overdue += n
    tally.escalated += n if escalated else 0


def _grouped(session: Session, actor: Actor, cycle: ReportingCycle, *keys):  # type: ignore[no-untyped-def]
    """Counts of the cycle's reports in scope, grouped by ``keys`` + status, on time, escalated
    (one SQL aggregation: a province-wide cycle holds tens of thousands of reports)."""
    # Labelled, so that GROUP BY names the same expression (PostgreSQL compares bind parameters).
    on_time = (ProgressReport.submitted_at <= cycle.due_at).label("on_time")
    escalated = ProgressReport.escalated_at.is_not(None).label("escalated")
    return session.execute(
        select(*keys, ProgressReport.status, on_time, escalated, func.count())
        .where(ProgressReport.cycle_id == cycle.id, _in_scope(actor))
        .group_by(*keys, ProgressReport.status, on_time, escalated)
    ).all()


@dataclass
class UnitProgress:
    """A unit's reports and contributions in one cycle."""

    unit: Unit | None
    reports: Tally = field(default_factory=Tally)
    contributions: Tally = field(default_factory=Tally)

    @property
    def overdue(self) -> int:
        return self.reports.overdue + self.contributions.overdue


def progress_by_unit(
    session: Session, *, actor: Actor, cycle: ReportingCycle, now: datetime
) -> list[UnitProgress]:
    """Per unit inside the actor's jurisdiction: reports and contributions due, filed, overdue."""
    past_due = now > cycle.due_at
    counts: dict[int, UnitProgress] = {}
    units: dict[int, Unit] = {}

    def entry(unit_id: int) -> UnitProgress:
        if unit_id not in counts:
            counts[unit_id] = UnitProgress(None)
        return counts[unit_id]

    for unit_id, status, on_time, escalated, n in _grouped(
        session, actor, cycle, ProgressReport.unit_id
    ):
        _count_into(
            entry(unit_id).reports,
            n=n,
            status=status,
            on_time=bool(on_time),
            escalated=bool(escalated),
            past_due=past_due,
        )
    on_time = (ProgressContribution.submitted_at <= cycle.due_at).label("on_time")
    rows = session.execute(
        select(ProgressContribution.unit_id, ProgressContribution.status, on_time, func.count())
        .join(ProgressReport, ProgressReport.id == ProgressContribution.report_id)
        .where(ProgressReport.cycle_id == cycle.id, _in_scope(actor))
        .group_by(ProgressContribution.unit_id, ProgressContribution.status, on_time)
    ).all()
    for unit_id, status, on_time, n in rows:
        _count_into(
            entry(unit_id).contributions,
            n=n,
            status=status,
            on_time=bool(on_time),
            escalated=False,
            past_due=past_due,
        )
    if counts:
        units = {
            u.id: u
            for u in session.execute(select(Unit).where(Unit.id.in_(list(counts)))).scalars()
        }
    for unit_id, progress in counts.items():
        progress.unit = units[unit_id]
    return sorted(counts.values(), key=lambda p: (-p.overdue, p.unit.division_code, p.unit.ordinal))


def overdue_units(
    session: Session, *, actor: Actor, cycle: ReportingCycle, now: datetime, limit: int = 20
) -> tuple[int, list[tuple[Unit, int]]]:
    """How many units inside the jurisdiction have overdue reports, and the ``limit`` with the
    most (one aggregation; the units themselves are loaded only for those shown)."""
    overdue = ProgressReport.status == "pending"
    if now <= cycle.due_at:
        overdue = and_(overdue, ProgressReport.escalated_at.is_not(None))
    rows = session.execute(
        select(ProgressReport.unit_id, func.count())
        .where(ProgressReport.cycle_id == cycle.id, _in_scope(actor), overdue)
        .group_by(ProgressReport.unit_id)
        .order_by(func.count().desc(), ProgressReport.unit_id)
    ).all()
    top = rows[:limit]
    units = {
        u.id: u
        for u in session.execute(select(Unit).where(Unit.id.in_([r[0] for r in top]))).scalars()
    }
    return len(rows), [(units[unit_id], n) for unit_id, n in top]


def progress_by_section(
    session: Session, *, actor: Actor, cycle: ReportingCycle, now: datetime
) -> list[tuple[str, str, Tally, dict[str, int]]]:
    """Per plan section: (code, title, tally, implementation states) of the cycle's reports."""
    titles = {
        m.code: m.text.rstrip("。")
        for m in plan_service.current_version(session).measures
        if m.level == 1
    }
    tallies: dict[str, Tally] = {code: Tally() for code in titles}
    states: dict[str, dict[str, int]] = {code: {} for code in titles}
    for section, status, on_time, escalated, n in _grouped(
        session, actor, cycle, ProgressReport.section_code
    ):
        _count_into(
            tallies.setdefault(section, Tally()),
            n=n,
            status=status,
            on_time=bool(on_time),
            escalated=bool(escalated),
            past_due=now > cycle.due_at,
        )
    rows = session.execute(
        select(ProgressReport.section_code, ProgressReport.implementation, func.count())
        .where(
            ProgressReport.cycle_id == cycle.id,
            _in_scope(actor),
            ProgressReport.implementation.is_not(None),
        )
        .group_by(ProgressReport.section_code, ProgressReport.implementation)
    ).all()
    for section, implementation, n in rows:
        states.setdefault(section, {})[implementation] = n
    return [(code, titles.get(code, code), tallies[code], states.get(code, {})) for code in tallies]


def cycle_counts(session: Session, cycle: ReportingCycle) -> dict[str, int]:
    """Reports of a cycle by status (all jurisdictions: for the office's summaries)."""
    return dict(
        session.execute(
            select(ProgressReport.status, func.count())
            .where(ProgressReport.cycle_id == cycle.id)
            .group_by(ProgressReport.status)
        ).all()
    )
