"""State changes of progress reporting: open and close cycles, file reports and contributions,
attach evidence, escalate overdue reports to the office. Each is one audited transaction."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fanguai.accountability import service
from fanguai.accountability.catalogue import (
    EVIDENCE_TYPES,
    IMPLEMENTATION,
    INDICATORS,
    MAX_EVIDENCE_BYTES,
    MAX_INDICATOR_VALUE,
    NARRATIVE_MIN,
    PERIOD_KINDS,
    TEXT_MAX,
)
from fanguai.accountability.errors import conflict, forbidden, invalid
from fanguai.accountability.models import (
    LocalMeasure,
    LocalRules,
    ProgressContribution,
    ProgressEvidence,
    ProgressFigure,
    ProgressReport,
    ReportingCycle,
)
from fanguai.core.actions import action
from fanguai.core.actor import Actor, system_actor
from fanguai.db import Database, new_public_id, utcnow
from fanguai.org.models import Unit
from fanguai.outbox import enqueue
from fanguai.plan import service as plan_service
from fanguai.plan.models import Measure
from fanguai.tasks.models import Task
from fanguai.tasks.service import close_tasks, create_task

REPORT_TASK = "progress.report"
CONTRIBUTION_TASK = "progress.contribution"
REPORT_SUBJECT = "progress_report"
CONTRIBUTION_SUBJECT = "progress_contribution"
SORT_STEP = 1000  # sort keys: measure ordinal x 1000; local additions fill the gaps


@dataclass(frozen=True)
class ReportInput:
    """What a lead unit files for a measure (or a cooperating unit for its part)."""

    implementation: str | None
    narrative: str
    problems: str = ""
    next_steps: str = ""
    figures: dict[str, int] = field(default_factory=dict)


# --- cycles -----------------------------------------------------------------------------------


def open_cycle(
    session: Session,
    *,
    actor: Actor,
    name: str,
    kind: str,
    period_start: date,
    period_end: date,
    due_at: datetime,
    now: datetime | None = None,
    track: bool = True,
) -> ReportingCycle:
    """Open a reporting cycle: one report per measure and lead unit, one contribution per
    cooperating unit, and a tracked task with reminder and escalation for each.

    ``track=False`` records a cycle after the fact (the history of earlier years, carried over
    from spreadsheets): the same reports, without tasks."""
    now = now or utcnow()
    with action(session, actor, "progress.open_cycle", object_type="progress_cycle") as act:
        if actor.is_user:
            actor.require("evaluation.manage")
            if actor.level != "province":
                raise forbidden("progress.error.province_only")
        _check_cycle(session, name=name, kind=kind, start=period_start, end=period_end, due=due_at)
        version = plan_service.current_version(session)
        cycle = ReportingCycle(
            name=name.strip(),
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            due_at=due_at,
            plan_version_id=version.id,
            opened_at=now,
            opened_by_id=actor.user_id,
        )
        session.add(cycle)
        session.flush()
        reports, contributions = _create_reports(session, cycle, version.measures, now, track)
        act.object_id = cycle.public_id
        act.detail.update(
            {
                "name": cycle.name,
                "reports": reports,
                "contributions": contributions,
                "tracked": track,
            }
        )
    return cycle


def _check_cycle(
    session: Session, *, name: str, kind: str, start: date, end: date, due: datetime
) -> None:
    if not name.strip() or len(name.strip()) > 60:
        raise invalid("progress.error.cycle_name", field="name")
    if kind not in PERIOD_KINDS:
        raise invalid("progress.error.cycle_kind", field="kind")
    if end < start:
        raise invalid("progress.error.period_order", field="period_end")
    if due.tzinfo is None:
        raise invalid("progress.error.due_zone", field="due_at")
    if due.date() < start:
        raise invalid("progress.error.due_before_period", field="due_at")
    taken = session.execute(
        select(ReportingCycle.id).where(ReportingCycle.name == name.strip())
    ).first()
    if taken is not None:
        raise conflict("progress.error.cycle_exists", field="name", name=name.strip())


@dataclass(frozen=True)
class _Duty:
    measure: Measure | None
    local: LocalMeasure | None
    code: str
    section: str
    sort_key: int
    leads: list[Unit]
    cooperating: list[Unit]


def _duties(session: Session, measures: list[Measure]) -> list[_Duty]:
    """Every measure that names units: the plan's (provincial units) and the local rules'."""
    units = {
        u.id: u for u in session.execute(select(Unit).where(Unit.level == "province")).scalars()
    }
    duties = []
    for m in measures:
        leads = [units[mu.unit_id] for mu in m.units if mu.role == "lead"]
        if leads:
            coop = [units[mu.unit_id] for mu in m.units if mu.role == "cooperating"]
            section = service.section_of(m.code)
            duties.append(_Duty(m, None, m.code, section, m.ordinal * SORT_STEP, leads, coop))
    for rules in session.execute(select(LocalRules)).scalars():
        for lm in rules.measures:
            leads = [u.unit for u in lm.units if u.role == "lead"]
            if leads:
                coop = [u.unit for u in lm.units if u.role == "cooperating"]
                duties.append(_Duty(None, lm, lm.code, lm.section_code, lm.sort_key, leads, coop))
    return duties


def _create_reports(
    session: Session, cycle: ReportingCycle, measures: list[Measure], now: datetime, track: bool
) -> tuple[int, int]:
    # Rows first, in one flush; then the tasks (public IDs are set here, not by the flush).
    todo: list[tuple[str, str, str, _Duty, Unit]] = []
    for duty in _duties(session, measures):
        reports = [
            ProgressReport(
                public_id=new_public_id(),
                cycle_id=cycle.id,
                unit_id=unit.id,
                measure_id=duty.measure.id if duty.measure else None,
                local_measure_id=duty.local.id if duty.local else None,
                measure_code=duty.code,
                section_code=duty.section,
                sort_key=duty.sort_key,
                division_code=unit.division_code,
                consolidates=i == 0,
            )
            for i, unit in enumerate(duty.leads)
        ]
        session.add_all(reports)
        todo += [
            (REPORT_TASK, REPORT_SUBJECT, r.public_id, duty, u)
            for r, u in zip(reports, duty.leads, strict=True)
        ]
        leads = {u.id for u in duty.leads}
        for unit in duty.cooperating:
            if unit.id in leads:
                continue  # a unit named twice leads; it reports rather than contributes
            contribution = ProgressContribution(public_id=new_public_id(), unit_id=unit.id)
            reports[0].contributions.append(contribution)
            todo.append(
                (CONTRIBUTION_TASK, CONTRIBUTION_SUBJECT, contribution.public_id, duty, unit)
            )
    session.flush()
    for kind, subject_type, subject_id, duty, unit in todo if track else []:
        _task(session, kind, subject_type, subject_id, cycle, duty, unit, now)
    n_reports = sum(1 for t in todo if t[0] == REPORT_TASK)
    return n_reports, len(todo) - n_reports


def _task(
    session: Session,
    kind: str,
    subject_type: str,
    subject_id: str,
    cycle: ReportingCycle,
    duty: _Duty,
    unit: Unit,
    now: datetime,
) -> None:
    what = "报送工作进展" if kind == REPORT_TASK else "报送配合情况"
    create_task(
        session,
        kind=kind,
        title=f"{cycle.name}{what}：{duty.code}",
        subject_type=subject_type,
        subject_id=subject_id,
        owner_unit=unit,
        due_at=cycle.due_at,
        now=now,
    )


def close_cycle(
    session: Session, *, actor: Actor, public_id: str, now: datetime | None = None
) -> ReportingCycle:
    """Close a cycle: no more filing; the tasks of reports never filed are cancelled."""
    now = now or utcnow()
    with action(
        session, actor, "progress.close_cycle", object_type="progress_cycle", object_id=public_id
    ) as act:
        actor.require("evaluation.manage")
        if actor.level != "province":
            raise forbidden("progress.error.province_only")
        cycle = service.get_cycle(session, actor=actor, public_id=public_id)
        if cycle.status != "open":
            raise conflict("progress.error.cycle_closed", name=cycle.name)
        cycle.status = "closed"
        cycle.closed_at = now
        reports = list(
            session.execute(
                select(ProgressReport).where(ProgressReport.cycle_id == cycle.id)
            ).scalars()
        )
        missing = sum(1 for r in reports if r.status == "pending")
        contributions = session.execute(
            select(ProgressContribution.public_id).where(
                ProgressContribution.report_id.in_([r.id for r in reports])
            )
        ).scalars()
        close_subjects(
            session,
            REPORT_SUBJECT,
            [r.public_id for r in reports],
            "cancelled",
            "报告周期已关闭",
            now,
        )
        close_subjects(
            session, CONTRIBUTION_SUBJECT, list(contributions), "cancelled", "报告周期已关闭", now
        )
        act.detail.update({"name": cycle.name, "never_filed": missing})
    return cycle


def close_subjects(
    session: Session,
    subject_type: str,
    subject_ids: list[str],
    status: str,
    note: str,
    now: datetime,
    by_user_id: int | None = None,
) -> None:
    """Close the open tasks of many subjects at once, inside the caller's action (the bulk twin
    of ``fanguai.tasks.service.close_tasks``, for a cycle's hundreds of reports)."""
    for start in range(0, len(subject_ids), 500):
        session.execute(
            update(Task)
            .where(
                Task.subject_type == subject_type,
                Task.subject_id.in_(subject_ids[start : start + 500]),
                Task.status == "open",
            )
            .values(status=status, closed_at=now, closed_by_id=by_user_id, note=note)
            .execution_options(synchronize_session=False)
        )


# --- filing -----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _check_input(data: ReportInput, *, needs_state: bool) -> None:
    if needs_state and data.implementation not in IMPLEMENTATION:
        raise invalid("progress.error.implementation", field="implementation")
    narrative = _clean(data.narrative)
    if len(narrative) < NARRATIVE_MIN:
        raise invalid("progress.error.narrative_short", field="narrative", n=NARRATIVE_MIN)
    for name in ("narrative", "problems", "next_steps"):
        if len(_clean(getattr(data, name))) > TEXT_MAX:
            raise invalid("progress.error.text_long", field=name, n=TEXT_MAX)
    for code, value in data.figures.items():
        if code not in INDICATORS:
            raise invalid("progress.error.indicator", field=f"figures.{code}", code=code)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(
                "progress.error.figure_value", field=f"figures.{code}", n=MAX_INDICATOR_VALUE
            )
        if not 0 <= value <= MAX_INDICATOR_VALUE:
            raise invalid(
                "progress.error.figure_value", field=f"figures.{code}", n=MAX_INDICATOR_VALUE
            )


def _check_open(cycle: ReportingCycle) -> None:
    if cycle.status != "open":
        raise conflict("progress.error.cycle_closed", name=cycle.name)


def _replace_figures(
    session: Session, report_id: int, contribution_id: int | None, figures: dict[str, int]
) -> None:
    stmt = delete(ProgressFigure).where(ProgressFigure.report_id == report_id)
    stmt = stmt.where(
        ProgressFigure.contribution_id.is_(None)
        if contribution_id is None
        else ProgressFigure.contribution_id == contribution_id
    )
    session.execute(stmt)
    for code in INDICATORS:
        if code in figures:
            session.add(
                ProgressFigure(
                    report_id=report_id,
                    contribution_id=contribution_id,
                    indicator=code,
                    value=figures[code],
                )
            )


def file_report(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: ReportInput,
    now: datetime | None = None,
) -> ProgressReport:
    """File (or update, while the cycle is open) a lead unit's report on a measure."""
    now = now or utcnow()
    with action(
        session, actor, "progress.file_report", object_type="progress_report", object_id=public_id
    ) as act:
        actor.require("progress.report")
        report = service.get_report_for(session, actor=actor, public_id=public_id)
        if report.unit_id != actor.unit_id:
            raise forbidden(
                "progress.error.not_responsible",
                unit=actor.unit_name or "",
                code=report.measure_code,
            )
        _check_open(report.cycle)
        _check_input(data, needs_state=True)
        first = report.status == "pending"
        report.status = "submitted"
        report.implementation = data.implementation
        report.narrative = _clean(data.narrative)
        report.problems = _clean(data.problems) or None
        report.next_steps = _clean(data.next_steps) or None
        report.submitted_at = report.submitted_at or now
        report.updated_at = now
        report.submitted_by_id = actor.user_id
        _replace_figures(session, report.id, None, data.figures)
        if report.consolidates:
            for c in report.contributions:
                if c.status == "submitted":
                    c.consolidated_at = now
        close_tasks(
            session,
            subject_type=REPORT_SUBJECT,
            subject_id=report.public_id,
            by_user_id=actor.user_id,
            note="已报送",
            now=now,
        )
        if first:
            _tell_office(session, report, "progress.submitted")
        act.detail.update(
            {
                "measure": report.measure_code,
                "cycle": report.cycle.name,
                "first": first,
                "late": now > report.cycle.due_at,
            }
        )
    return report


def file_report_for_measure(
    session: Session,
    *,
    actor: Actor,
    measure_code: str,
    data: ReportInput,
    cycle_public_id: str | None = None,
    now: datetime | None = None,
) -> ProgressReport:
    """File the actor's unit's report on a measure named by its code (current cycle by default).

    A measure the unit does not lead answers 422 naming the units that do."""
    actor.require("progress.report")
    cycle = (
        service.get_cycle(session, actor=actor, public_id=cycle_public_id)
        if cycle_public_id
        else service.current_cycle(session)
    )
    if cycle is None:
        raise invalid("progress.error.no_cycle", field="cycle")
    reports = session.execute(
        select(ProgressReport).where(
            ProgressReport.cycle_id == cycle.id, ProgressReport.measure_code == measure_code
        )
    ).scalars()
    mine = None
    leads = []
    for r in reports:
        if r.unit_id == actor.unit_id:
            mine = r
        elif r.division_code == (actor.division_code or ""):
            leads.append(r.unit.name)
    if mine is None:
        names = {"code": measure_code, "unit": actor.unit_name or ""}
        if _cooperates(session, cycle, measure_code, actor.unit_id):
            raise invalid("progress.error.cooperating_only", field="measure", **names)
        if leads:
            raise invalid(
                "progress.error.not_a_lead_named", field="measure", leads="、".join(leads), **names
            )
        raise invalid("progress.error.not_a_lead", field="measure", **names)
    return file_report(session, actor=actor, public_id=mine.public_id, data=data, now=now)


def _cooperates(session: Session, cycle: ReportingCycle, code: str, unit_id: int | None) -> bool:
    return (
        session.execute(
            select(ProgressContribution.id)
            .join(ProgressReport, ProgressReport.id == ProgressContribution.report_id)
            .where(
                ProgressReport.cycle_id == cycle.id,
                ProgressReport.measure_code == code,
                ProgressContribution.unit_id == unit_id,
            )
        ).first()
        is not None
    )


def file_contribution(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    data: ReportInput,
    now: datetime | None = None,
) -> ProgressContribution:
    """File (or update) a cooperating unit's part; the lead unit sees it in its report."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "progress.file_contribution",
        object_type="progress_contribution",
        object_id=public_id,
    ) as act:
        actor.require("progress.report")
        contribution = service.get_contribution_for(session, actor=actor, public_id=public_id)
        report = contribution.report
        if contribution.unit_id != actor.unit_id:
            raise forbidden(
                "progress.error.not_responsible",
                unit=actor.unit_name or "",
                code=report.measure_code,
            )
        _check_open(report.cycle)
        _check_input(data, needs_state=False)
        contribution.status = "submitted"
        contribution.narrative = _clean(data.narrative)
        contribution.submitted_at = contribution.submitted_at or now
        contribution.submitted_by_id = actor.user_id
        contribution.consolidated_at = None  # the lead has not seen this version yet
        _replace_figures(session, report.id, contribution.id, data.figures)
        close_tasks(
            session,
            subject_type=CONTRIBUTION_SUBJECT,
            subject_id=contribution.public_id,
            by_user_id=actor.user_id,
            note="已报送",
            now=now,
        )
        enqueue(
            session,
            kind="progress.contribution",
            unit_id=report.unit_id,
            payload={"report": report.public_id, "measure": report.measure_code},
        )
        act.detail.update({"measure": report.measure_code, "cycle": report.cycle.name})
    return contribution


def _office_of(session: Session, division_code: str) -> Unit | None:
    return session.execute(
        select(Unit).where(Unit.division_code == division_code, Unit.is_office)
    ).scalar_one_or_none()


def _tell_office(session: Session, report: ProgressReport, kind: str) -> None:
    office = _office_of(session, report.division_code)
    if office is not None:
        enqueue(
            session,
            kind=kind,
            unit_id=office.id,
            payload={
                "report": report.public_id,
                "measure": report.measure_code,
                "unit": report.unit.name,
                "cycle": report.cycle.name,
            },
        )


# --- evidence ---------------------------------------------------------------------------------


def sniff_type(content: bytes) -> str | None:
    """The evidence type the bytes are, by their signature (None: not an accepted type)."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]")


def clean_filename(name: str) -> str:
    """A file name safe to store and offer back: no path, no control characters, 120 at most."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:120]
    return name


def check_evidence(filename: str, content: bytes) -> tuple[str, str]:
    """The clean name and content type of an acceptable evidence file, else a 422 on ``file``."""
    allowed = "、".join(ext.lstrip(".").upper() for exts in EVIDENCE_TYPES.values() for ext in exts)
    name = clean_filename(filename)
    if not content:
        raise invalid("progress.error.evidence_empty", field="file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise invalid(
            "progress.error.evidence_large", field="file", mb=f"{MAX_EVIDENCE_BYTES / 1e6:g}"
        )
    detected = sniff_type(content)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if detected is None or extension not in EVIDENCE_TYPES[detected]:
        raise invalid("progress.error.evidence_type", field="file", allowed=allowed)
    return name, detected


def attach_evidence(
    session: Session,
    *,
    actor: Actor,
    report_public_id: str | None = None,
    contribution_public_id: str | None = None,
    filename: str,
    content: bytes,
    now: datetime | None = None,
) -> ProgressEvidence:
    """Attach an evidence file to the actor's unit's report or contribution."""
    now = now or utcnow()
    with action(session, actor, "progress.attach_evidence", object_type="progress_evidence") as act:
        actor.require("progress.report")
        if contribution_public_id:
            contribution = service.get_contribution_for(
                session, actor=actor, public_id=contribution_public_id
            )
            report, owner_id, contribution_id = (
                contribution.report,
                contribution.unit_id,
                contribution.id,
            )
        else:
            report = service.get_report_for(session, actor=actor, public_id=report_public_id or "")
            owner_id, contribution_id = report.unit_id, None
        if owner_id != actor.unit_id:
            raise forbidden(
                "progress.error.not_responsible",
                unit=actor.unit_name or "",
                code=report.measure_code,
            )
        _check_open(report.cycle)
        name, content_type = check_evidence(filename, content)
        evidence = ProgressEvidence(
            report_id=report.id,
            contribution_id=contribution_id,
            unit_id=owner_id,
            filename=name,
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_at=now,
            uploaded_by_id=actor.user_id,
        )
        session.add(evidence)
        session.flush()
        act.object_id = evidence.public_id
        act.detail.update({"report": report.public_id, "type": content_type, "size": len(content)})
    return evidence


# --- overdue ----------------------------------------------------------------------------------


def escalate_overdue(db: Database, now: datetime) -> int:
    """Flag reports not filed by the deadline and tell the joint-conference office of their
    level, once per report; returns how many reports it flagged."""
    flagged = 0
    with db.session() as session:
        cycles = list(
            session.execute(
                select(ReportingCycle.id)
                .join(ProgressReport, ProgressReport.cycle_id == ReportingCycle.id)
                .where(
                    ReportingCycle.status == "open",
                    ReportingCycle.due_at < now,
                    ProgressReport.status == "pending",
                    ProgressReport.escalated_at.is_(None),
                )
                .distinct()
            ).scalars()
        )
        session.rollback()
        for cycle_id in cycles:
            flagged += _escalate_cycle(session, cycle_id, now)
    return flagged


def _escalate_cycle(session: Session, cycle_id: int, now: datetime) -> int:
    with action(
        session, system_actor("worker:progress"), "progress.escalate", object_type="progress_cycle"
    ) as act:
        cycle = session.get(ReportingCycle, cycle_id)
        assert cycle is not None
        act.object_id = cycle.public_id
        late = list(
            session.execute(
                select(ProgressReport).where(
                    ProgressReport.cycle_id == cycle_id,
                    ProgressReport.status == "pending",
                    ProgressReport.escalated_at.is_(None),
                )
            ).scalars()
        )
        by_office: dict[int, list[ProgressReport]] = {}
        for report in late:
            report.escalated_at = now
            office = _office_of(session, report.division_code)
            if office is not None:
                by_office.setdefault(office.id, []).append(report)
        for office_id, reports in by_office.items():
            enqueue(
                session,
                kind="progress.overdue",
                unit_id=office_id,
                payload={
                    "cycle": cycle.name,
                    "reports": len(reports),
                    "units": sorted({r.unit.name for r in reports}),
                },
            )
        act.detail.update({"cycle": cycle.name, "flagged": len(late)})
        if late:
            act.priority = "high"
    return len(late)
