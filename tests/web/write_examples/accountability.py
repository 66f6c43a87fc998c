"""Writing routes of the accountability module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.accountability.demo import demo_pdf
from fanguai.accountability.models import (
    Evaluation,
    LocalRules,
    ProgressContribution,
    ProgressReport,
    ReportingCycle,
)
from fanguai.org.models import Unit

FILED = {
    "implementation": "in_progress",
    "narrative": "组织婚姻登记员培训，部署疑似拐卖情形识别和报告工作。",
    "figures": {"people_trained": 60},
}


def _db(c):  # type: ignore[no-untyped-def]
    return c.app.state.db


def _report(c, unit_code: str = "320000-MZ", measure: str = "二(一)3(1)") -> str:  # type: ignore[no-untyped-def]
    with _db(c).session() as s:
        return s.execute(
            select(ProgressReport.public_id)
            .join(Unit, Unit.id == ProgressReport.unit_id)
            .join(ReportingCycle, ReportingCycle.id == ProgressReport.cycle_id)
            .where(
                ReportingCycle.status == "open",
                Unit.code == unit_code,
                ProgressReport.measure_code == measure,
            )
        ).scalar_one()


def _contribution(c) -> str:  # type: ignore[no-untyped-def]
    """省民政厅's part of 二(一)1 (led by 省公安厅) in the open cycle."""
    with _db(c).session() as s:
        report_id = s.execute(
            select(ProgressReport.id)
            .join(ReportingCycle, ReportingCycle.id == ProgressReport.cycle_id)
            .join(Unit, Unit.id == ProgressReport.unit_id)
            .where(
                ReportingCycle.status == "open",
                Unit.code == "320000-GA",
                ProgressReport.measure_code == "二(一)1",
            )
        ).scalar_one()
        return s.execute(
            select(ProgressContribution.public_id)
            .join(Unit, Unit.id == ProgressContribution.unit_id)
            .where(ProgressContribution.report_id == report_id, Unit.code == "320000-MZ")
        ).scalar_one()


def _cycle(c, status: str) -> str:  # type: ignore[no-untyped-def]
    with _db(c).session() as s:
        return (
            s.execute(select(ReportingCycle.public_id).where(ReportingCycle.status == status))
            .scalars()
            .first()
        )


def _rules(c) -> str:  # type: ignore[no-untyped-def]
    with _db(c).session() as s:
        return s.execute(
            select(LocalRules.public_id).where(LocalRules.division_code == "320508")
        ).scalar_one()


def _new_evaluation(c, login) -> str:  # type: ignore[no-untyped-def]
    office = login("jiangsu.office")
    r = office.post(
        "/evaluations",
        data={"kind": "phase", "title": "写操作示例评估", "cycles": [_cycle(c, "closed")]},
        follow_redirects=False,
    )
    return r.headers["location"].rsplit("/", 1)[-1]


def _item(c, evaluation_id: str) -> str:  # type: ignore[no-untyped-def]
    with _db(c).session() as s:
        ev = s.execute(select(Evaluation).where(Evaluation.public_id == evaluation_id)).scalar_one()
        return ev.items[0].public_id


def _recognised(c, login):  # type: ignore[no-untyped-def]
    ev = _new_evaluation(c, login)
    office = login("jiangsu.office")
    with _db(c).session() as s:
        unit = (
            s.execute(select(Evaluation).where(Evaluation.public_id == ev))
            .scalar_one()
            .items[0]
            .unit.public_id
        )
    office.post(
        f"/evaluations/{ev}/recognitions",
        data={"unit": unit, "kind": "commend", "reason": "措施得力成效明显"},
    )
    with _db(c).session() as s:
        entry = s.execute(select(Evaluation).where(Evaluation.public_id == ev)).scalar_one()
        rid = entry.recognitions[0].public_id
    return office.post(f"/evaluations/{ev}/recognitions/{rid}/delete")


def _score_page(c, login):  # type: ignore[no-untyped-def]
    ev = _new_evaluation(c, login)
    data = {
        "score_completion": "30",
        "score_timeliness": "15",
        "score_evidence": "20",
        "score_innovation": "5",
    }
    return login("jiangsu.office").post(f"/evaluations/items/{_item(c, ev)}", data=data)


def _score_api(c, login):  # type: ignore[no-untyped-def]
    ev = _new_evaluation(c, login)
    body = {"scores": {"completion": 30, "timeliness": 15, "evidence": 20, "innovation": 5}}
    return login("jiangsu.office").post(f"/api/evaluations/items/{_item(c, ev)}/scores", json=body)


EXAMPLES = {
    ("POST", "/progress/reports/{report_id}"): lambda c, login: login("jiangsu.mz.liaison").post(
        f"/progress/reports/{_report(c)}",
        data={"implementation": "in_progress", "narrative": FILED["narrative"]},
    ),
    ("POST", "/progress/reports/{report_id}/evidence"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(
        f"/progress/reports/{_report(c)}/evidence", files={"file": ("签到表.pdf", demo_pdf("x"))}
    ),
    ("POST", "/progress/contributions/{contribution_id}"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(f"/progress/contributions/{_contribution(c)}", data={"narrative": FILED["narrative"]}),
    ("POST", "/progress/contributions/{contribution_id}/evidence"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(
        f"/progress/contributions/{_contribution(c)}/evidence",
        files={"file": ("照片.pdf", demo_pdf("y"))},
    ),
    ("POST", "/progress/cycles"): lambda c, login: login("jiangsu.office").post(
        "/progress/cycles", data={"year": "2030", "period": "Q1", "due_date": "2030-04-15"}
    ),
    ("POST", "/progress/cycles/{cycle_id}/close"): lambda c, login: login("jiangsu.office").post(
        f"/progress/cycles/{_cycle(c, 'open')}/close"
    ),
    ("POST", "/progress/local-rules"): lambda c, login: login("jiangsu.office").post(
        "/progress/local-rules", data={"division": "320506", "title": "吴中区反拐工作实施细则"}
    ),
    ("POST", "/progress/local-rules/{rules_id}/measures"): lambda c, login: login(
        "jiangsu.office"
    ).post(
        f"/progress/local-rules/{_rules(c)}/measures",
        data={
            "section": "二(四)",
            "text": "在姑苏区景区游客服务中心设置反拐宣传点。",
            "lead_units": ["320508-WL"],
        },
    ),
    ("POST", "/evaluations"): lambda c, login: login("jiangsu.office").post(
        "/evaluations",
        data={"kind": "final", "title": "终期评估示例", "cycles": [_cycle(c, "closed")]},
    ),
    ("POST", "/evaluations/rubrics"): lambda c, login: login("jiangsu.office").post(
        "/evaluations/rubrics",
        data={"name": "示例细则", "criteria": "completion|任务完成|60|\ninnovation|工作创新|40|"},
    ),
    ("POST", "/evaluations/items/{item_id}"): _score_page,
    ("POST", "/evaluations/{evaluation_id}/suggested"): lambda c, login: login(
        "jiangsu.office"
    ).post(f"/evaluations/{_new_evaluation(c, login)}/suggested"),
    ("POST", "/evaluations/{evaluation_id}/recognitions"): lambda c, login: login(
        "jiangsu.office"
    ).post(
        f"/evaluations/{_new_evaluation(c, login)}/recognitions",
        data={"unit": "nope", "kind": "commend", "reason": "措施得力"},
    ),
    ("POST", "/evaluations/{evaluation_id}/recognitions/{recognition_id}/delete"): _recognised,
    ("POST", "/evaluations/{evaluation_id}/close"): lambda c, login: login("jiangsu.office").post(
        f"/evaluations/{_new_evaluation(c, login)}/close"
    ),
    ("POST", "/api/progress/reports"): lambda c, login: login("jiangsu.mz.liaison").post(
        "/api/progress/reports", json={**FILED, "measure": "二(一)3(1)"}
    ),
    ("POST", "/api/progress/reports/{report_id}"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(f"/api/progress/reports/{_report(c)}", json=FILED),
    ("POST", "/api/progress/reports/{report_id}/evidence"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(
        f"/api/progress/reports/{_report(c)}/evidence",
        files={"file": ("方案.pdf", demo_pdf("z"))},
    ),
    ("POST", "/api/progress/contributions/{contribution_id}"): lambda c, login: login(
        "jiangsu.mz.liaison"
    ).post(
        f"/api/progress/contributions/{_contribution(c)}", json={"narrative": FILED["narrative"]}
    ),
    ("POST", "/api/evaluations/items/{item_id}/scores"): _score_api,
}
