"""Phase and final evaluations (阶段性评估、终期评估): rubric, reviewers' scores, aggregation by
unit, measure, section and region, and the commendation and criticism lists.

An evaluation item is one unit's work on one measure over the evaluated cycles. Each reviewer
scores every criterion of the rubric for an item; an item's score per criterion is the mean of
its reviewers', its total the sum over criteria, shown as a percentage of the rubric's total.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.accountability.catalogue import (
    COMMEND_AT,
    COMPLETION_SHARE,
    CRITICISE_BELOW,
    DEFAULT_CRITERIA,
    DEFAULT_RUBRIC_NAME,
    TEXT_MAX,
)
from fanguai.accountability.errors import conflict, invalid
from fanguai.accountability.models import (
    EVALUATION_KINDS,
    RECOGNITION_KINDS,
    Evaluation,
    EvaluationItem,
    EvaluationRecognition,
    EvaluationScore,
    LocalMeasure,
    ProgressEvidence,
    ProgressReport,
    ReportingCycle,
    Rubric,
    RubricCriterion,
)
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import NotFound
from fanguai.org.models import Division, Unit
from fanguai.plan import service as plan_service
from fanguai.plan.models import Measure
from fanguai.security.scope import covers, covers_clause

PROVINCE_REGION = "320000"

# --- rubrics ----------------------------------------------------------------------------------


def default_rubric(session: Session) -> Rubric | None:
    """The rubric shipped with the platform, if it has been created."""
    return session.execute(
        select(Rubric).where(Rubric.name == DEFAULT_RUBRIC_NAME)
    ).scalar_one_or_none()


def list_rubrics(session: Session) -> list[Rubric]:
    """Every rubric, oldest first."""
    return list(session.execute(select(Rubric).order_by(Rubric.id)).scalars())


@dataclass(frozen=True)
class CriterionInput:
    """One criterion as the office writes it."""

    code: str
    label: str
    max_score: float
    description: str = ""


def parse_criteria(text: str) -> list[CriterionInput]:
    """Criteria from lines ``code|label|max score|description`` (the rubric form)."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            raise invalid("progress.error.criterion_line", field="criteria", n=n)
        try:
            max_score = float(parts[2])
        except ValueError:
            raise invalid("progress.error.criterion_line", field="criteria", n=n) from None
        out.append(CriterionInput(parts[0], parts[1], max_score, "|".join(parts[3:])))
    return out


def create_rubric(
    session: Session, *, actor: Actor, name: str, criteria: list[CriterionInput]
) -> Rubric:
    """Add a rubric with its criteria (codes unique, each maximum between 0 and 100)."""
    with action(session, actor, "progress.create_rubric", object_type="progress_rubric") as act:
        if actor.is_user:
            actor.require("evaluation.manage")
        name = (name or "").strip()
        if not name or len(name) > 80:
            raise invalid("progress.error.rubric_name", field="name")
        if session.execute(select(Rubric.id).where(Rubric.name == name)).first():
            raise conflict("progress.error.rubric_exists", field="name", name=name)
        if not criteria:
            raise invalid("progress.error.criteria_empty", field="criteria")
        seen: set[str] = set()
        for c in criteria:
            if not c.code.isidentifier() or len(c.code) > 30 or c.code in seen:
                raise invalid("progress.error.criterion_code", field="criteria", code=c.code)
            if not c.label or len(c.label) > 40:
                raise invalid("progress.error.criterion_label", field="criteria", code=c.code)
            if not (math.isfinite(c.max_score) and 0 < c.max_score <= 100):
                raise invalid("progress.error.criterion_max", field="criteria", code=c.code)
            seen.add(c.code)
        rubric = Rubric(name=name)
        for i, c in enumerate(criteria):
            rubric.criteria.append(
                RubricCriterion(
                    code=c.code,
                    label=c.label,
                    description=c.description,
                    max_score=c.max_score,
                    ordinal=i,
                )
            )
        session.add(rubric)
        session.flush()
        act.object_id = rubric.public_id
        act.detail.update({"name": name, "criteria": [c.code for c in criteria]})
    return rubric


def ensure_default_rubric(session: Session, *, actor: Actor) -> Rubric:
    """The default rubric (completion, timeliness, evidence, innovation), created if missing."""
    found = default_rubric(session)
    if found is not None:
        return found
    return create_rubric(
        session,
        actor=actor,
        name=DEFAULT_RUBRIC_NAME,
        criteria=[
            CriterionInput(c.code, c.label, c.max_score, c.description) for c in DEFAULT_CRITERIA
        ],
    )


# --- evaluations ------------------------------------------------------------------------------


def list_evaluations(session: Session, *, actor: Actor) -> list[Evaluation]:
    """Evaluations by offices inside the actor's jurisdiction, newest first."""
    actor.require("evaluation.score")
    return list(
        session.execute(
            select(Evaluation)
            .where(covers_clause(actor, Evaluation.division_code))
            .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        ).scalars()
    )


def get_evaluation_for(session: Session, *, actor: Actor, public_id: str) -> Evaluation:
    """An evaluation inside the actor's jurisdiction, else NotFound."""
    actor.require("evaluation.score")
    ev = session.execute(
        select(Evaluation).where(Evaluation.public_id == public_id)
    ).scalar_one_or_none()
    if ev is None or not covers(actor, ev.division_code):
        raise NotFound("evaluation not found")
    return ev


def get_item_for(session: Session, *, actor: Actor, public_id: str) -> EvaluationItem:
    """An evaluation item inside the actor's jurisdiction, else NotFound."""
    actor.require("evaluation.score")
    item = session.execute(
        select(EvaluationItem).where(EvaluationItem.public_id == public_id)
    ).scalar_one_or_none()
    if item is None or not covers(actor, item.evaluation.division_code):
        raise NotFound("evaluation item not found")
    return item


def next_document_number(session: Session, year: int) -> str:
    """The next 文号 of the office's evaluation reports in a year: 苏反拐办〔2026〕N号."""
    prefix = f"苏反拐办〔{year}〕"
    taken = session.execute(
        select(func.count()).where(Evaluation.document_number.startswith(prefix))
    ).scalar_one()
    return f"{prefix}{taken + 1}号"


def create_evaluation(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    title: str,
    cycle_public_ids: list[str],
    rubric_public_id: str | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Open an evaluation of the given cycles: one item per unit and measure reported on inside
    the office's jurisdiction, with the facts the reviewers need."""
    now = now or utcnow()
    with action(
        session, actor, "progress.create_evaluation", object_type="progress_evaluation"
    ) as act:
        actor.require("evaluation.manage")
        if kind not in EVALUATION_KINDS:
            raise invalid("progress.error.evaluation_kind", field="kind")
        title = (title or "").strip()
        if not title or len(title) > 120:
            raise invalid("progress.error.evaluation_title", field="title")
        cycles = _cycles(session, cycle_public_ids)
        rubric = _rubric(session, rubric_public_id)
        evaluation = Evaluation(
            kind=kind,
            title=title,
            document_number=next_document_number(session, now.year),
            division_code=actor.division_code or PROVINCE_REGION,
            rubric_id=rubric.id,
            cycle_ids=[c.id for c in cycles],
            created_at=now,
            created_by_id=actor.user_id,
        )
        session.add(evaluation)
        session.flush()
        items = _build_items(session, actor, evaluation, cycles)
        act.object_id = evaluation.public_id
        act.detail.update({"kind": kind, "cycles": [c.name for c in cycles], "items": items})
    return evaluation


def _cycles(session: Session, public_ids: list[str]) -> list[ReportingCycle]:
    if not public_ids:
        raise invalid("progress.error.cycles_required", field="cycles")
    found = list(
        session.execute(
            select(ReportingCycle).where(ReportingCycle.public_id.in_(public_ids))
        ).scalars()
    )
    if len(found) != len(set(public_ids)):
        raise invalid("progress.error.cycle_unknown", field="cycles")
    return sorted(found, key=lambda c: c.period_start)


def _rubric(session: Session, public_id: str | None) -> Rubric:
    if not public_id:
        rubric = default_rubric(session)
    else:
        rubric = session.execute(
            select(Rubric).where(Rubric.public_id == public_id)
        ).scalar_one_or_none()
    if rubric is None:
        raise invalid("progress.error.rubric_unknown", field="rubric")
    return rubric


def _build_items(
    session: Session, actor: Actor, evaluation: Evaluation, cycles: list[ReportingCycle]
) -> int:
    due = {c.id: c.due_at for c in cycles}
    order = {c.id: c.period_end for c in cycles}
    reports = session.execute(
        select(ProgressReport).where(
            ProgressReport.cycle_id.in_(list(due)),
            covers_clause(actor, ProgressReport.division_code),
        )
    ).scalars()
    evidence = dict(
        session.execute(
            select(ProgressEvidence.report_id, func.count())
            .join(ProgressReport, ProgressReport.id == ProgressEvidence.report_id)
            .where(ProgressReport.cycle_id.in_(list(due)))
            .group_by(ProgressEvidence.report_id)
        ).all()
    )
    texts = dict(session.execute(select(Measure.id, Measure.text)).all())
    local_texts = dict(session.execute(select(LocalMeasure.id, LocalMeasure.text)).all())
    groups: dict[tuple[int, str], list[ProgressReport]] = defaultdict(list)
    for r in reports:
        groups[(r.unit_id, r.measure_code)].append(r)
    for (unit_id, code), rows in groups.items():
        rows.sort(key=lambda r: order[r.cycle_id])
        latest = rows[-1]
        filed = [r for r in rows if r.submitted_at is not None]
        on_time = sum(1 for r in filed if r.submitted_at <= due[r.cycle_id])  # type: ignore[operator]
        session.add(
            EvaluationItem(
                evaluation_id=evaluation.id,
                unit_id=unit_id,
                measure_code=code,
                section_code=latest.section_code,
                measure_text=(
                    local_texts[latest.local_measure_id]
                    if latest.local_measure_id is not None
                    else texts[latest.measure_id]
                ),
                sort_key=latest.sort_key,
                division_code=latest.division_code,
                reports_due=len(rows),
                reports_on_time=on_time,
                reports_late=len(filed) - on_time,
                evidence_files=sum(evidence.get(r.id, 0) for r in rows),
                latest_implementation=latest.implementation,
                latest_report_id=latest.id,
            )
        )
    session.flush()
    return len(groups)


def _check_scoring(evaluation: Evaluation) -> None:
    if evaluation.status != "scoring":
        raise conflict("progress.error.evaluation_closed", title=evaluation.title)


def check_scores(rubric: Rubric, scores: dict[str, float]) -> None:
    """Every criterion of the rubric scored, none outside it, each within 0..its maximum."""
    criteria = {c.code: c for c in rubric.criteria}
    for code, value in scores.items():
        criterion = criteria.get(code)
        if criterion is None:
            raise invalid("progress.error.not_a_criterion", field=f"scores.{code}", code=code)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(
                "progress.error.score_range",
                field=f"scores.{code}",
                label=criterion.label,
                max=f"{criterion.max_score:g}",
            )
        if not (math.isfinite(value) and 0 <= value <= criterion.max_score):
            raise invalid(
                "progress.error.score_range",
                field=f"scores.{code}",
                label=criterion.label,
                max=f"{criterion.max_score:g}",
            )
    for code, criterion in criteria.items():
        if code not in scores:
            raise invalid(
                "progress.error.score_missing", field=f"scores.{code}", label=criterion.label
            )


def score_item(
    session: Session,
    *,
    actor: Actor,
    item_public_id: str,
    scores: dict[str, float],
    comment: str = "",
    now: datetime | None = None,
) -> EvaluationItem:
    """Record the actor's scores (every criterion) and comment on an item; a new scoring by the
    same reviewer replaces theirs."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "progress.score",
        object_type="progress_evaluation_item",
        object_id=item_public_id,
    ) as act:
        actor.require("evaluation.score")
        item = get_item_for(session, actor=actor, public_id=item_public_id)
        _check_scoring(item.evaluation)
        check_scores(item.evaluation.rubric, scores)
        comment = (comment or "").strip()
        if len(comment) > TEXT_MAX:
            raise invalid("progress.error.text_long", field="comment", n=TEXT_MAX)
        _put_scores(item, actor.name, actor.user_id, scores, comment or None, False, now)
        act.detail.update({"scores": scores, "unit": item.unit.code, "measure": item.measure_code})
    return item


def _put_scores(
    item: EvaluationItem,
    reviewer: str,
    reviewer_id: int | None,
    scores: dict[str, float],
    comment: str | None,
    suggested: bool,
    now: datetime,
) -> None:
    mine = {s.criterion: s for s in item.scores if s.reviewer_name == reviewer}
    for code, value in scores.items():
        row = mine.get(code)
        if row is None:
            item.scores.append(
                EvaluationScore(
                    reviewer_id=reviewer_id,
                    reviewer_name=reviewer,
                    criterion=code,
                    score=float(value),
                    comment=comment,
                    suggested=suggested,
                    scored_at=now,
                )
            )
        else:
            row.score, row.comment, row.suggested, row.scored_at = (
                float(value),
                comment,
                suggested,
                now,
            )


def suggested_scores(item: EvaluationItem, rubric: Rubric) -> dict[str, float]:
    """Scores computed from the facts: completion from the latest state and the share of reports
    filed, timeliness from reports on time, evidence from files per report; other criteria 0."""
    filed = item.reports_on_time + item.reports_late
    due = max(item.reports_due, 1)
    share = {
        "completion": COMPLETION_SHARE.get(item.latest_implementation or "", 0.0) * filed / due,
        "timeliness": item.reports_on_time / due,
        "evidence": min(1.0, item.evidence_files / due),
    }
    return {c.code: round(c.max_score * share.get(c.code, 0.0), 1) for c in rubric.criteria}


def apply_suggested(
    session: Session, *, actor: Actor, public_id: str, now: datetime | None = None
) -> int:
    """Score every item the actor has not scored yet with the suggested scores (marked as such,
    so a reviewer can tell them from their own); returns how many items it scored."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "progress.apply_suggested",
        object_type="progress_evaluation",
        object_id=public_id,
    ) as act:
        actor.require("evaluation.score")
        evaluation = get_evaluation_for(session, actor=actor, public_id=public_id)
        _check_scoring(evaluation)
        n = 0
        for item in evaluation.items:
            if any(s.reviewer_name == actor.name for s in item.scores):
                continue
            scores = suggested_scores(item, evaluation.rubric)
            _put_scores(item, actor.name, actor.user_id, scores, "按系统建议评分", True, now)
            n += 1
        act.detail["items"] = n
    return n


def add_recognition(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    unit_public_id: str,
    kind: str,
    reason: str,
    now: datetime | None = None,
) -> EvaluationRecognition:
    """Name a unit evaluated here for commendation or criticism, with the reason."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "progress.recognise",
        object_type="progress_evaluation",
        object_id=public_id,
    ) as act:
        actor.require("evaluation.manage")
        evaluation = get_evaluation_for(session, actor=actor, public_id=public_id)
        _check_scoring(evaluation)
        if kind not in RECOGNITION_KINDS:
            raise invalid("progress.error.recognition_kind", field="kind")
        reason = (reason or "").strip()
        if not 4 <= len(reason) <= 500:
            raise invalid("progress.error.reason", field="reason")
        unit = next((i.unit for i in evaluation.items if i.unit.public_id == unit_public_id), None)
        if unit is None:
            raise invalid("progress.error.unit_not_evaluated", field="unit")
        if any(r.unit_id == unit.id for r in evaluation.recognitions):
            raise conflict("progress.error.already_listed", field="unit", unit=unit.name)
        entry = EvaluationRecognition(
            unit_id=unit.id, kind=kind, reason=reason, decided_by_id=actor.user_id, decided_at=now
        )
        evaluation.recognitions.append(entry)
        session.flush()
        act.detail.update({"unit": unit.code, "kind": kind})
    return entry


def remove_recognition(
    session: Session, *, actor: Actor, public_id: str, recognition_public_id: str
) -> None:
    """Take a unit off the commendation or criticism list while the evaluation is open."""
    with action(
        session,
        actor,
        "progress.unrecognise",
        object_type="progress_evaluation",
        object_id=public_id,
    ) as act:
        actor.require("evaluation.manage")
        evaluation = get_evaluation_for(session, actor=actor, public_id=public_id)
        _check_scoring(evaluation)
        entry = next(
            (r for r in evaluation.recognitions if r.public_id == recognition_public_id), None
        )
        if entry is None:
            raise NotFound("recognition not found")
        act.detail.update({"unit": entry.unit.code, "kind": entry.kind})
        evaluation.recognitions.remove(entry)


def close_evaluation(
    session: Session, *, actor: Actor, public_id: str, now: datetime | None = None
) -> Evaluation:
    """Finalise an evaluation: scores and lists are fixed, the report is no longer a draft."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "progress.close_evaluation",
        object_type="progress_evaluation",
        object_id=public_id,
    ) as act:
        actor.require("evaluation.manage")
        evaluation = get_evaluation_for(session, actor=actor, public_id=public_id)
        _check_scoring(evaluation)
        evaluation.status = "closed"
        evaluation.closed_at = now
        act.detail["title"] = evaluation.title
    return evaluation


# --- results ----------------------------------------------------------------------------------


@dataclass
class ItemResult:
    """An item with its per-criterion means and total (None until every criterion is scored)."""

    item: EvaluationItem
    by_criterion: dict[str, float]
    total: float | None
    percent: float | None
    reviewers: list[str]
    comments: list[str]


@dataclass
class Group:
    """An aggregate over items: a unit, a measure, a section or a region."""

    key: str
    label: str
    items: int = 0
    scored: int = 0
    percents: list[float] = field(default_factory=list)
    reports_due: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def mean(self) -> float | None:
        return round(sum(self.percents) / len(self.percents), 1) if self.percents else None

    @property
    def missing(self) -> int:
        return self.reports_due - self.on_time - self.late

    @property
    def on_time_rate(self) -> float:
        return round(100.0 * self.on_time / self.reports_due, 1) if self.reports_due else 0.0


@dataclass
class Results:
    """Everything the evaluation page, the PDF and the workbook show."""

    evaluation: Evaluation
    cycles: list[ReportingCycle]
    items: list[ItemResult]
    by_unit: list[Group]
    by_measure: list[Group]
    by_section: list[Group]
    by_region: list[Group]
    unit_public_ids: dict[str, str]

    @property
    def overall(self) -> Group:
        g = Group("all", "全部")
        for r in self.items:
            _count(g, r)
        return g


def item_result(item: EvaluationItem, rubric: Rubric) -> ItemResult:
    """Means per criterion over reviewers, and the total when every criterion is scored."""
    values: dict[str, list[float]] = defaultdict(list)
    reviewers, comments = [], []
    for s in sorted(item.scores, key=lambda s: (s.reviewer_name, s.criterion)):
        values[s.criterion].append(s.score)
        if s.reviewer_name not in reviewers:
            reviewers.append(s.reviewer_name)
            if s.comment:
                comments.append(f"{s.reviewer_name}：{s.comment}")
    means = {code: round(sum(v) / len(v), 2) for code, v in values.items()}
    complete = all(c.code in means for c in rubric.criteria)
    total = round(sum(means[c.code] for c in rubric.criteria), 2) if complete else None
    percent = round(100.0 * total / rubric.max_total, 1) if total is not None else None
    return ItemResult(item, means, total, percent, reviewers, comments)


def _count(group: Group, r: ItemResult) -> None:
    group.items += 1
    group.reports_due += r.item.reports_due
    group.on_time += r.item.reports_on_time
    group.late += r.item.reports_late
    if r.percent is not None:
        group.scored += 1
        group.percents.append(r.percent)


def region_of(division_code: str) -> str:
    """The city a division belongs to; provincial units form their own region."""
    return PROVINCE_REGION if division_code == PROVINCE_REGION else division_code[:4] + "00"


def results(session: Session, evaluation: Evaluation) -> Results:
    """Aggregate the evaluation's scores by unit, measure, section (plan order) and region."""
    rubric = evaluation.rubric
    items = [item_result(i, rubric) for i in evaluation.items]
    sections = {
        m.code: m.text.rstrip("。")
        for m in plan_service.current_version(session).measures
        if m.level == 1
    }
    cities = dict(session.execute(select(Division.code, Division.name)).all())
    by_unit: dict[str, Group] = {}
    by_measure: dict[str, Group] = {}
    by_section: dict[str, Group] = {code: Group(code, title) for code, title in sections.items()}
    by_region: dict[str, Group] = {}
    unit_ids: dict[str, str] = {}
    for r in sorted(items, key=lambda r: (r.item.sort_key, r.item.measure_code)):
        unit: Unit = r.item.unit
        unit_ids[unit.code] = unit.public_id
        _count(by_unit.setdefault(unit.code, Group(unit.code, unit.name)), r)
        _count(
            by_measure.setdefault(
                r.item.measure_code, Group(r.item.measure_code, r.item.measure_text)
            ),
            r,
        )
        _count(
            by_section.setdefault(
                r.item.section_code, Group(r.item.section_code, r.item.section_code)
            ),
            r,
        )
        region = region_of(r.item.division_code)
        label = "省级成员单位" if region == PROVINCE_REGION else cities.get(region, region)
        _count(by_region.setdefault(region, Group(region, label)), r)
    cycles = list(
        session.execute(
            select(ReportingCycle)
            .where(ReportingCycle.id.in_(evaluation.cycle_ids))
            .order_by(ReportingCycle.period_start)
        ).scalars()
    )
    ranked = sorted(by_unit.values(), key=lambda g: (-(g.mean or -1), g.key))
    return Results(
        evaluation=evaluation,
        cycles=cycles,
        items=sorted(
            items, key=lambda r: (r.item.division_code, r.item.sort_key, r.item.unit.ordinal)
        ),
        by_unit=ranked,
        by_measure=list(by_measure.values()),
        by_section=[g for g in by_section.values() if g.items],
        by_region=sorted(by_region.values(), key=lambda g: g.key),
        unit_public_ids=unit_ids,
    )


@dataclass(frozen=True)
class Suggestion:
    """A unit the rules put forward for a list, with the reason they give."""

    unit_code: str
    unit_name: str
    unit_public_id: str
    kind: str
    reason: str


def suggestions(res: Results) -> list[Suggestion]:
    """Units for the office to consider: commendation at a high mean with every report filed on
    time, criticism for a low mean or reports never filed."""
    listed = {r.unit.code for r in res.evaluation.recognitions}
    out = []
    for g in res.by_unit:
        if g.key in listed or g.scored < g.items or g.mean is None:
            continue
        facts = f"综合得分{g.mean:g}分，应报{g.reports_due}份，按时报送率{g.on_time_rate:g}%"
        if g.mean >= COMMEND_AT and g.on_time == g.reports_due:
            kind, why = "commend", f"{facts}，措施落实有力"
        elif g.mean < CRITICISE_BELOW or g.missing > 0:
            extra = f"，{g.missing}份未报送" if g.missing else ""
            kind, why = "criticise", f"{facts}{extra}，未切实履行相关职责"
        else:
            continue
        out.append(Suggestion(g.key, g.label, res.unit_public_ids[g.key], kind, why))
    means = {g.key: g.mean or 0.0 for g in res.by_unit}
    # Best first among the commended, worst first among the criticised.
    return sorted(
        out,
        key=lambda s: (
            s.kind != "commend",
            -means[s.unit_code] if s.kind == "commend" else means[s.unit_code],
        ),
    )
