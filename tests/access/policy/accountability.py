"""Targets for the accountability module's placeholders in the access matrix: records of the
demo's closed cycles at the province, in 苏州市 (city) and in 姑苏区 (county)."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.accountability.models import (
    Evaluation,
    LocalRules,
    ProgressContribution,
    ProgressEvidence,
    ProgressReport,
    ReportingCycle,
)
from fanguai.org.models import Unit

OWNERS = ("320000-MZ", "320500-MZ", "320508-MZ")


def _filed_report(session, unit_code: str) -> ProgressReport:  # type: ignore[no-untyped-def]
    return (
        session.execute(
            select(ProgressReport)
            .join(Unit, Unit.id == ProgressReport.unit_id)
            .join(ReportingCycle, ReportingCycle.id == ProgressReport.cycle_id)
            .where(
                Unit.code == unit_code,
                ReportingCycle.status == "closed",
                ProgressReport.status == "submitted",
            )
            .order_by(ProgressReport.id)
        )
        .scalars()
        .first()
    )


def _target(public_id: str, unit: Unit, secret: str) -> dict:
    return {
        "id": public_id,
        "division": unit.division_code,
        "department": unit.department,
        "secret": secret,
    }


def targets(session) -> dict[str, dict[str, dict]]:  # type: ignore[no-untyped-def]
    reports, contributions, evidence, rules = {}, {}, {}, {}
    for code in OWNERS:
        report = _filed_report(session, code)
        reports[code] = _target(report.public_id, report.unit, report.narrative)
        c = (
            session.execute(
                select(ProgressContribution)
                .join(Unit, Unit.id == ProgressContribution.unit_id)
                .where(
                    Unit.division_code == report.division_code,
                    ProgressContribution.status == "submitted",
                )
                .order_by(ProgressContribution.id)
            )
            .scalars()
            .first()
        )
        contributions[c.unit.code] = _target(c.public_id, c.unit, c.narrative)
        e = session.execute(
            select(ProgressEvidence, ProgressReport)
            .join(ProgressReport, ProgressReport.id == ProgressEvidence.report_id)
            .where(ProgressReport.division_code == report.division_code)
            .order_by(ProgressEvidence.id)
        ).first()
        evidence[e[1].unit.code] = _target(e[0].public_id, e[1].unit, e[0].sha256)
    for r in session.execute(select(LocalRules)).scalars():
        rules[r.division_code] = _target(r.public_id, r.office_unit, r.title)
    ev = session.execute(select(Evaluation).order_by(Evaluation.id)).scalars().first()
    office = session.execute(select(Unit).where(Unit.code == "320000-FGB")).scalar_one()
    item = ev.items[0]
    return {
        "progress_report": reports,
        "progress_contribution": contributions,
        "progress_evidence": evidence,
        "local_rules": rules,
        "evaluation": {"province": _target(ev.public_id, office, ev.title)},
        "evaluation_item": {"province": _target(item.public_id, office, item.public_id)},
    }
