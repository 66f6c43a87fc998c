"""Demo data of the plan accountability module: the 省民政厅 liaison, local implementing rules
for 苏州市 and 姑苏区, two closed half-year reporting cycles with a history of reports
(some late, some never filed), the current cycle open with part of the reports in, a closed
phase evaluation of those two cycles, and the dashboard's rollup."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.accountability import actions, dashboard, evaluation, local_rules
from fanguai.accountability.catalogue import INDICATORS, PERIODS
from fanguai.accountability.models import (
    ProgressContribution,
    ProgressEvidence,
    ProgressFigure,
    ProgressReport,
    ReportingCycle,
)
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.demo import DemoReport, register
from fanguai.org.demo import Persona, ensure_personas
from fanguai.org.models import User
from fanguai.security.service import actor_for_user

BEIJING = ZoneInfo("Asia/Shanghai")
PERSONAS = (Persona("jiangsu.mz.liaison", "韩梅", "320000-MZ", ("liaison",), "省民政厅联络员"),)
LOCAL_RULES = (
    ("320500", "苏州市贯彻《江苏省反对拐卖人口行动计划实施意见》实施细则"),
    ("320508", "姑苏区反对拐卖人口工作实施细则"),
)
SUZHOU_MEASURE = (
    "二(二)",
    "建立市反拐工作联席会议季度会商制度，市公安局牵头每季度通报线索办理和失踪儿童查找情况，"
    "市民政局同步通报救助管理机构滞留人员身份查明进展。",
    ["320500-GA"],
    ["320500-MZ"],
)
# Units that file less reliably in the demo history (so the lists have someone to criticise).
WEAK_UNITS = {"320000-TX": 0.45, "320000-GD": 0.55, "320000-XF": 0.7, "320500-JT": 0.6}
SEED = 20210917
ACTIONS = (
    "召开专题部署会议，细化任务分工和时间节点",
    "联合相关部门开展专项检查，对发现的问题逐项督促整改",
    "组织业务培训，提升一线工作人员发现和识别能力",
    "开展反拐宣传进社区、进校园、进企业活动",
    "完善工作台账，落实情况按月汇总报送",
    "建立与公安机关的线索移送和信息通报机制",
    "将相关工作纳入年度目标考核，压实工作责任",
)
EVIDENCE_NAMES = ("工作方案.pdf", "培训签到表.pdf", "宣传活动照片.pdf", "专项检查通报.pdf")


@register("accountability.progress", order=90)
def load_progress(session: Session, actor: Actor, report: DemoReport) -> None:
    """The liaison persona, local rules, a reporting history and a phase evaluation (once)."""
    ensure_personas(session, actor, report, PERSONAS, key="accountability.personas")
    if session.execute(select(func.count()).select_from(ReportingCycle)).scalar_one():
        session.rollback()
        report.added["accountability.cycles"] = 0
        return
    office = _persona_actor(session, "jiangsu.office")
    evaluation.ensure_default_rubric(session, actor=office)
    _local_rules(session, office)
    now = utcnow()
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    periods = _half_years(now, 3)
    cycles = []
    for i, (name, start, end) in enumerate(periods):
        current = i == len(periods) - 1
        opened = _beijing(end - timedelta(days=10), 9) if not current else now - timedelta(days=20)
        due = _beijing(end + timedelta(days=15), 18) if not current else _deadline(now)
        cycle = actions.open_cycle(
            session,
            actor=office,
            name=name,
            kind="half_year",
            period_start=start,
            period_end=end,
            due_at=due,
            now=opened,
            track=current,
        )
        _history(session, actor, cycle, rng, stage=i, current=current)
        if not current:
            actions.close_cycle(
                session, actor=office, public_id=cycle.public_id, now=due + timedelta(days=30)
            )
        cycles.append(cycle)
    _phase_evaluation(session, office, cycles[:2], now)
    dashboard.refresh_with(session, now, force_full=True)
    report.added["accountability.cycles"] = len(cycles)


def _persona_actor(session: Session, username: str) -> Actor:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def _beijing(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BEIJING).astimezone(UTC)


def _deadline(now: datetime) -> datetime:
    """Two weeks from now, at 18:00 Beijing time."""
    return _beijing((now + timedelta(days=14)).astimezone(BEIJING).date(), 18)


def _half_years(now: datetime, n: int) -> list[tuple[str, date, date]]:
    """The current half-year and the ``n - 1`` before it, oldest first."""
    today = now.astimezone(BEIJING).date()
    year, half = today.year, 1 if today.month <= 6 else 2
    out = []
    for _ in range(n):
        code = f"H{half}"
        _, first, last = PERIODS[code]
        end_day = 30 if last == 6 else 31
        out.append((f"{year}年{PERIODS[code][0]}", date(year, first, 1), date(year, last, end_day)))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return list(reversed(out))


def _local_rules(session: Session, office: Actor) -> None:
    for division, title in LOCAL_RULES:
        local_rules.adopt_rules(session, actor=office, division_code=division, title=title)
    suzhou = local_rules.list_rules(session, actor=office)[0]
    section, text, leads, coop = SUZHOU_MEASURE
    local_rules.add_local_measure(
        session,
        actor=office,
        rules_public_id=suzhou.public_id,
        section_code=section,
        text=text,
        lead_unit_codes=leads,
        cooperating_unit_codes=coop,
    )


def _history(
    session: Session,
    actor: Actor,
    cycle: ReportingCycle,
    rng: random.Random,
    *,
    stage: int,
    current: bool,
) -> None:
    """Fill a cycle's reports as the units would have (one audited demo action per cycle)."""
    with action(
        session,
        actor,
        "demo.progress_history",
        object_type="progress_cycle",
        object_id=cycle.public_id,
    ) as act:
        cycle = session.get(ReportingCycle, cycle.id)  # type: ignore[assignment]
        reports = list(
            session.execute(
                select(ProgressReport).where(ProgressReport.cycle_id == cycle.id)
            ).scalars()
        )
        contributions: dict[int, list[ProgressContribution]] = {}
        for c in session.execute(
            select(ProgressContribution).where(
                ProgressContribution.report_id.in_([r.id for r in reports])
            )
        ).scalars():
            contributions.setdefault(c.report_id, []).append(c)
        done: dict[str, list[str]] = {actions.REPORT_SUBJECT: [], actions.CONTRIBUTION_SUBJECT: []}
        filed = 0
        for report in reports:
            if not _files(report.unit.code, rng, current) or (
                current and report.unit.code == "320000-MZ"
            ):
                continue
            when = _filed_at(cycle, rng, current)
            _fill_report(session, report, rng, stage, when)
            done[actions.REPORT_SUBJECT].append(report.public_id)
            for c in contributions.get(report.id, []):
                if _files(c.unit.code, rng, current):
                    _fill_contribution(session, report, c, rng, when - timedelta(days=2))
                    done[actions.CONTRIBUTION_SUBJECT].append(c.public_id)
            filed += 1
        for subject_type, ids in done.items():
            actions.close_subjects(session, subject_type, ids, "done", "已报送", utcnow())
        act.detail.update({"cycle": cycle.name, "filed": filed, "reports": len(reports)})


def _files(unit_code: str, rng: random.Random, current: bool) -> bool:
    chance = WEAK_UNITS.get(unit_code, 0.93)
    return rng.random() < (chance * 0.4 if current else chance)


def _filed_at(cycle: ReportingCycle, rng: random.Random, current: bool) -> datetime:
    if current:
        return utcnow() - timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 8))
    if rng.random() < 0.85:
        return cycle.due_at - timedelta(days=rng.randint(0, 12), hours=rng.randint(1, 8))
    return cycle.due_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(1, 8))


def _fill_report(
    session: Session, report: ProgressReport, rng: random.Random, stage: int, when: datetime
) -> None:
    states = ["in_progress", "in_progress", "ongoing", "completed"]
    report.status = "submitted"
    report.implementation = states[min(3, stage + rng.randint(0, 1))]
    report.narrative = _narrative(report.unit.name, report.cycle.name, rng)
    report.problems = rng.choice([None, "基层工作力量不足，部门间信息共享仍需加强。"])
    report.next_steps = "持续推进相关工作，按期报送进展情况。"
    report.submitted_at = report.updated_at = when
    for code, value in _figures(rng).items():
        session.add(ProgressFigure(report_id=report.id, indicator=code, value=value))
    if rng.random() < 0.65:
        _evidence(session, report, None, report.unit_id, rng, when)


def _fill_contribution(
    session: Session,
    report: ProgressReport,
    c: ProgressContribution,
    rng: random.Random,
    when: datetime,
) -> None:
    c.status = "submitted"
    c.narrative = _narrative(c.unit.name, report.cycle.name, rng)
    c.submitted_at = when
    c.consolidated_at = report.submitted_at
    for code, value in _figures(rng).items():
        session.add(
            ProgressFigure(report_id=report.id, contribution_id=c.id, indicator=code, value=value)
        )


def _narrative(unit: str, cycle: str, rng: random.Random) -> str:
    first, second = rng.sample(ACTIONS, 2)
    return f"{cycle}，{unit}{first}；{second}。"


def _figures(rng: random.Random) -> dict[str, int]:
    codes = rng.sample(sorted(INDICATORS), rng.randint(1, 3))
    return {code: rng.randint(2, 400) for code in codes}


def _evidence(
    session: Session,
    report: ProgressReport,
    contribution_id: int | None,
    unit_id: int,
    rng: random.Random,
    when: datetime,
) -> None:
    content = demo_pdf(f"{report.measure_code} {report.cycle.period_end:%Y-%m}")
    session.add(
        ProgressEvidence(
            report_id=report.id,
            contribution_id=contribution_id,
            unit_id=unit_id,
            filename=rng.choice(EVIDENCE_NAMES),
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_at=when,
        )
    )


def demo_pdf(label: str) -> bytes:
    """A small, valid one-page PDF naming ``label`` (ASCII), for demo evidence."""
    text = label.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (fanguai demo evidence: " + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _phase_evaluation(
    session: Session, office: Actor, cycles: list[ReportingCycle], now: datetime
) -> None:
    years = sorted({c.period_start.year for c in cycles})
    span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
    ev = evaluation.create_evaluation(
        session,
        actor=office,
        kind="phase",
        title=f"关于{span}反拐工作阶段性评估情况的通报",
        cycle_public_ids=[c.public_id for c in cycles],
        now=now,
    )
    _score_innovation(session, office, ev.public_id, now)
    evaluation.apply_suggested(session, actor=office, public_id=ev.public_id, now=now)
    ev = evaluation.get_evaluation_for(session, actor=office, public_id=ev.public_id)
    picks = evaluation.suggestions(evaluation.results(session, ev))
    chosen = [s for s in picks if s.kind == "commend"][:3] + [
        s for s in picks if s.kind == "criticise"
    ][:3]
    for s in chosen:
        evaluation.add_recognition(
            session,
            actor=office,
            public_id=ev.public_id,
            unit_public_id=s.unit_public_id,
            kind=s.kind,
            reason=s.reason,
            now=now,
        )
    evaluation.close_evaluation(session, actor=office, public_id=ev.public_id, now=now)


def _score_innovation(session: Session, office: Actor, public_id: str, now: datetime) -> None:
    """The reviewer's own scores for the three most punctual provincial units: their work was
    judged innovative (suggested scores leave innovation to the reviewer)."""
    ev = evaluation.get_evaluation_for(session, actor=office, public_id=public_id)
    by_unit: dict[str, list] = {}
    for item in ev.items:
        if item.division_code == "320000":
            by_unit.setdefault(item.unit.code, []).append(item)
    punctual = sorted(
        (
            code
            for code, items in by_unit.items()
            if all(i.reports_on_time == i.reports_due for i in items)
        ),
        key=lambda code: (-len(by_unit[code]), code),
    )[:3]
    rubric = ev.rubric
    targets = [
        (i.public_id, evaluation.suggested_scores(i, rubric))
        for code in punctual
        for i in by_unit[code]
    ]
    session.rollback()
    for item_id, scores in targets:
        # The reviewer judges the work itself, beyond what the facts suggest.
        scores.update(completion=38.0, evidence=max(scores["evidence"], 22.0), innovation=12.0)
        evaluation.score_item(
            session,
            actor=office,
            item_public_id=item_id,
            scores=scores,
            comment="工作机制有创新，经验做法值得推广",
            now=now,
        )
