"""API views of the accountability module's records (shared by the JSON routes and the CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fanguai.accountability import service
from fanguai.accountability.evaluation import Group, Results
from fanguai.accountability.models import ProgressReport, ReportingCycle
from fanguai.accountability.schemas import (
    ContributionRead,
    CycleRead,
    EvaluationRead,
    EvidenceRead,
    GroupRead,
    ReportRead,
    ReportSummary,
    ResponsibilityRead,
)


def cycle_read(c: ReportingCycle) -> CycleRead:
    """A cycle as the API shows it."""
    return CycleRead(
        id=c.public_id,
        name=c.name,
        kind=c.kind,
        period_start=c.period_start,
        period_end=c.period_end,
        due_at=c.due_at,
        status=c.status,
    )


def responsibility_read(r: service.Responsibility) -> ResponsibilityRead:
    """A measure the unit answers for."""
    return ResponsibilityRead(
        code=r.code,
        section=r.section_code,
        text=r.text,
        role=r.role,
        local=r.local,
        measure_id=r.measure_public_id,
    )


def report_summary(r: ProgressReport, now: datetime) -> ReportSummary:
    """A report in a list."""
    return ReportSummary(
        id=r.public_id,
        measure=r.measure_code,
        unit=r.unit.name,
        unit_code=r.unit.code,
        status=r.status,
        overdue=service.is_overdue(r, r.cycle.due_at, now),
        submitted_at=r.submitted_at,
    )


def report_read(session: Session, r: ProgressReport, now: datetime) -> ReportRead:
    """A report with its figures, contributions and evidence."""
    figures = service.figures_of(session, r)
    return ReportRead(
        id=r.public_id,
        cycle=r.cycle.name,
        unit=r.unit.name,
        unit_code=r.unit.code,
        measure=r.measure_code,
        section=r.section_code,
        measure_text=service.measure_text(r),
        consolidates=r.consolidates,
        status=r.status,
        overdue=service.is_overdue(r, r.cycle.due_at, now),
        implementation=r.implementation,
        narrative=r.narrative,
        problems=r.problems,
        next_steps=r.next_steps,
        submitted_at=r.submitted_at,
        on_time=service.on_time(r, r.cycle.due_at) if r.submitted_at else None,
        figures=figures.own,
        figures_total=figures.total(),
        contributions=[
            ContributionRead(
                id=c.public_id,
                unit=c.unit.name,
                status=c.status,
                narrative=c.narrative,
                submitted_at=c.submitted_at,
                figures=figures.by_contribution.get(c.id, {}),
            )
            for c in r.contributions
        ],
        evidence=[
            EvidenceRead(
                id=e.public_id,
                filename=e.filename,
                content_type=e.content_type,
                size=e.size,
                sha256=e.sha256,
                uploaded_at=e.uploaded_at,
            )
            for e in service.evidence_of(session, r)
        ],
    )


def _group(g: Group) -> GroupRead:
    return GroupRead(
        key=g.key,
        label=g.label,
        items=g.items,
        scored=g.scored,
        mean=g.mean,
        reports_due=g.reports_due,
        on_time=g.on_time,
        late=g.late,
        missing=g.missing,
    )


def evaluation_read(res: Results) -> EvaluationRead:
    """An evaluation with its aggregates and lists."""
    ev = res.evaluation

    def listed(kind: str) -> list[dict[str, str]]:
        return [
            {"unit": r.unit.name, "unit_code": r.unit.code, "reason": r.reason}
            for r in ev.recognitions
            if r.kind == kind
        ]

    return EvaluationRead(
        id=ev.public_id,
        kind=ev.kind,
        title=ev.title,
        document_number=ev.document_number,
        status=ev.status,
        cycles=[c.name for c in res.cycles],
        rubric={c.code: c.max_score for c in ev.rubric.criteria},
        by_section=[_group(g) for g in res.by_section],
        by_unit=[_group(g) for g in res.by_unit],
        by_region=[_group(g) for g in res.by_region],
        by_measure=[_group(g) for g in res.by_measure],
        commended=listed("commend"),
        criticised=listed("criticise"),
    )
