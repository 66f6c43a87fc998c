"""Progress reporting: who answers for what, filing, bad input, contributions, deadlines."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai.accountability import actions, service
from fanguai.accountability.actions import ReportInput
from fanguai.accountability.demo import demo_pdf
from fanguai.accountability.models import ProgressReport, ReportingCycle
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.outbox import OutboxMessage
from fanguai.plan import load_bundled_plan
from fanguai.tasks.models import Task
from tests.accountability.helpers import actor, open_cycle, report_of, unit

GOOD = {
    "implementation": "in_progress",
    "narrative": "召开全省婚姻登记业务培训会，部署疑似拐卖妇女情形识别工作。",
    "figures": {"people_trained": 320, "campaigns": 4},
}


def _plan_codes(unit_name: str, role: str) -> list[str]:
    """The oracle: what the plan text itself gives the unit (parsed afresh, not from the DB)."""
    plan = load_bundled_plan()
    field = "lead_units" if role == "lead" else "cooperating_units"
    return [m.code for m in plan.measures if unit_name in getattr(m, field)]


def test_the_liaison_of_civil_affairs_sees_exactly_the_measures_the_plan_gives_the_unit(
    login,
) -> None:  # type: ignore[no-untyped-def]
    rows = login("jiangsu.mz.liaison").get("/api/progress/my-measures").json()
    lead = [r["code"] for r in rows if r["role"] == "lead"]
    coop = [r["code"] for r in rows if r["role"] == "cooperating"]
    assert lead == _plan_codes("省民政厅", "lead") and len(lead) == 21
    assert coop == _plan_codes("省民政厅", "cooperating") and len(coop) == 9


def test_a_county_unit_answers_for_its_local_rules(session) -> None:  # type: ignore[no-untyped-def]
    duties = service.responsibilities(session, unit(session, "320508-MZ"))
    codes = {d.code for d in duties if d.role == "lead"}
    assert {"二(一)3(1)", "二(三)1(2)"} <= codes  # 省民政厅's measures, adopted for 姑苏区
    assert all(d.local for d in duties)
    # 吴中区 adopted no rules: nothing yet.
    assert service.responsibilities(session, unit(session, "320506-MZ")) == []


def test_a_report_filed_through_the_api_closes_its_task_and_tells_the_office(
    login, session
) -> None:  # type: ignore[no-untyped-def]
    r = login("jiangsu.mz.liaison").post(
        "/api/progress/reports", json={**GOOD, "measure": "二(一)3(1)"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "submitted" and body["unit_code"] == "320000-MZ"
    assert body["figures"] == {"people_trained": 320, "campaigns": 4}
    task = session.execute(select(Task).where(Task.subject_id == body["id"])).scalar_one()
    assert task.status == "done"
    office = unit(session, "320000-FGB")
    told = session.execute(
        select(OutboxMessage).where(
            OutboxMessage.kind == "progress.submitted", OutboxMessage.unit_id == office.id
        )
    ).scalars()
    assert any(m.payload["report"] == body["id"] for m in told)


def test_a_report_on_a_measure_the_unit_does_not_lead_is_refused_with_the_lead_units(
    login,
) -> None:  # type: ignore[no-untyped-def]
    liaison = login("jiangsu.mz.liaison")
    r = liaison.post("/api/progress/reports", json={**GOOD, "measure": "二(三)2(1)"})
    assert r.status_code == 422 and r.json()["field"] == "measure"
    assert "省教育厅" in r.json()["message"]  # who does lead it
    # 二(一)1 is led by 省公安厅 with 省民政厅 cooperating: a contribution, not a report.
    r = liaison.post("/api/progress/reports", json={**GOOD, "measure": "二(一)1"})
    assert r.status_code == 422 and "cooperates" in r.json()["message"]
    # Not named at all.
    r = login("jiangsu.edu.liaison").post(
        "/api/progress/reports", json={**GOOD, "measure": "二(五)6"}
    )
    assert r.status_code == 422 and r.json()["field"] == "measure"


def test_filing_another_units_report_by_its_id_is_forbidden(login, session) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-GA", "二(一)1")
    r = login("jiangsu.mz.liaison").post(f"/api/progress/reports/{report.public_id}", json=GOOD)
    assert r.status_code == 403
    assert session.get(ProgressReport, report.id).status == "pending"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"implementation": "finished"}, "implementation"),
        ({"narrative": "已做"}, "narrative"),
        ({"figures": {"people_trained": -1}}, "figures.people_trained"),
        ({"figures": {"hours_of_sleep": 3}}, "figures.hours_of_sleep"),
    ],
)
def test_bad_report_input_names_the_field_and_writes_nothing(login, session, change, field) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.mz.liaison").post(
        f"/api/progress/reports/{report.public_id}", json={**GOOD, **change}
    )
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    session.expire_all()
    assert session.get(ProgressReport, report.id).status == "pending"


def test_a_figure_that_is_not_a_whole_number_is_a_422(login, session) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.mz.liaison").post(
        f"/api/progress/reports/{report.public_id}",
        json={**GOOD, "figures": {"people_trained": 1.5}},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "figures.people_trained"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("培训签到表.pdf", demo_pdf("sign-in"), True),
        ("方案.docx", _docx(), True),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, True),
        ("脚本.exe", b"MZ\x90\x00" + b"\0" * 64, False),
        ("伪装.pdf", b"MZ\x90\x00" + b"\0" * 64, False),  # an executable named .pdf
        ("改名.png", demo_pdf("x"), False),  # a PDF named .png
        ("空文件.pdf", b"", False),
    ],
)
def test_evidence_is_accepted_by_content_and_extension(login, session, name, content, ok) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.mz.liaison").post(
        f"/api/progress/reports/{report.public_id}/evidence", files={"file": (name, content)}
    )
    if ok:
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == name
    else:
        assert r.status_code == 422 and r.json()["field"] == "file", r.text


def test_an_evidence_file_over_the_limit_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    big = demo_pdf("x") + b"\0" * 1_600_000
    with pytest.raises(InvalidInput) as err:
        actions.attach_evidence(
            session,
            actor=actor(session, "jiangsu.mz.liaison"),
            report_public_id=report.public_id,
            filename="大.pdf",
            content=big,
        )
    assert err.value.field == "file"


def test_evidence_downloads_for_readers_inside_the_jurisdiction_only(login, session) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    r = login("jiangsu.mz.liaison").post(
        f"/api/progress/reports/{report.public_id}/evidence",
        files={"file": ("../../etc/签到表.pdf", demo_pdf("a"))},
    )
    evidence = r.json()
    assert evidence["filename"] == "签到表.pdf"
    got = login("jiangsu.office").get(f"/progress/evidence/{evidence['id']}")
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    assert "attachment" in got.headers["content-disposition"]
    assert login("gusu.chief").get(f"/progress/evidence/{evidence['id']}").status_code == 404


def test_a_contribution_is_consolidated_into_the_lead_units_report(session) -> None:  # type: ignore[no-untyped-def]
    cycle = open_cycle(session)
    lead = report_of(session, cycle, "320000-GA", "二(一)1")
    mine = next(c for c in lead.contributions if c.unit.code == "320000-MZ")
    mz = actor(session, "jiangsu.mz.liaison")
    actions.file_contribution(
        session,
        actor=mz,
        public_id=mine.public_id,
        data=ReportInput(
            None, "配合公安机关开展流浪乞讨人员身份核查。", figures={"people_helped": 12}
        ),
    )
    ga = actor(session, "gusu.chief")  # county police supervisor: not the provincial unit
    with pytest.raises(Exception):  # noqa: B017 - NotFound: the provincial report is out of scope
        actions.file_report(session, actor=ga, public_id=lead.public_id, data=ReportInput(**GOOD))
    lead = session.get(ProgressReport, lead.id)
    table = service.figures_of(session, lead)
    assert table.by_contribution[mine.id] == {"people_helped": 12}
    before = table.own.get("people_helped", 0)
    assert table.total()["people_helped"] == before + 12


def test_a_report_filed_after_the_deadline_counts_as_late(session) -> None:  # type: ignore[no-untyped-def]
    cycle = open_cycle(session)
    report = report_of(session, cycle, "320000-MZ", "二(一)3(1)")
    late = cycle.due_at + timedelta(hours=3)
    actions.file_report(
        session,
        actor=actor(session, "jiangsu.mz.liaison"),
        public_id=report.public_id,
        data=ReportInput(**GOOD),
        now=late,
    )
    report = session.get(ProgressReport, report.id)
    assert report.submitted_at == late and not service.on_time(report, cycle.due_at)


def test_overdue_reports_are_flagged_once_and_escalated_to_the_office(db, session) -> None:  # type: ignore[no-untyped-def]
    cycle = open_cycle(session)
    pending = (
        session.execute(
            select(ProgressReport).where(
                ProgressReport.cycle_id == cycle.id, ProgressReport.status == "pending"
            )
        )
        .scalars()
        .all()
    )
    assert pending
    # Before the deadline nothing happens.
    assert actions.escalate_overdue(db, cycle.due_at - timedelta(minutes=1)) == 0
    after = cycle.due_at + timedelta(days=1)
    assert actions.escalate_overdue(db, after) == len(pending)
    assert actions.escalate_overdue(db, after + timedelta(hours=1)) == 0  # once
    session.expire_all()
    assert all(session.get(ProgressReport, r.id).escalated_at == after for r in pending)
    office = unit(session, "320000-FGB")
    message = (
        session.execute(
            select(OutboxMessage).where(
                OutboxMessage.kind == "progress.overdue", OutboxMessage.unit_id == office.id
            )
        )
        .scalars()
        .one()
    )
    assert message.payload["cycle"] == cycle.name
    assert "省民政厅" in message.payload["units"]
    overview = service.progress_by_unit(
        session, actor=actor(session, "jiangsu.office"), cycle=cycle, now=after
    )
    flagged = {p.unit.code for p in overview if p.overdue}
    assert "320000-MZ" in flagged


def test_the_office_opens_a_cycle_with_a_report_per_lead_unit_and_tasks(session) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    now = datetime(2027, 1, 5, 2, tzinfo=UTC)
    cycle = actions.open_cycle(
        session,
        actor=office,
        name="2027年第一季度（测试）",
        kind="quarter",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        due_at=datetime(2027, 4, 15, 10, tzinfo=UTC),
        now=now,
    )
    reports = (
        session.execute(
            select(ProgressReport).where(
                ProgressReport.cycle_id == cycle.id, ProgressReport.division_code == "320000"
            )
        )
        .scalars()
        .all()
    )
    plan = load_bundled_plan()
    assert len(reports) == sum(len(m.lead_units) for m in plan.measures)
    tasks = (
        session.execute(select(Task).where(Task.subject_id.in_([r.public_id for r in reports])))
        .scalars()
        .all()
    )
    assert len(tasks) == len(reports)
    assert {t.kind for t in tasks} == {"progress.report"}
    assert all(t.due_at == cycle.due_at and now < t.remind_at < t.due_at for t in tasks)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"period_end": date(2026, 12, 31)}, InvalidInput, "period_end"),
        ({"due_at": datetime(2026, 12, 1, tzinfo=UTC)}, InvalidInput, "due_at"),
        ({"kind": "fortnight"}, InvalidInput, "kind"),
    ],
)
def test_a_cycle_with_bad_dates_is_refused(session, kwargs, error, field) -> None:  # type: ignore[no-untyped-def]
    base = {
        "name": "2027年上半年（测试）",
        "kind": "half_year",
        "period_start": date(2027, 1, 1),
        "period_end": date(2027, 6, 30),
        "due_at": datetime(2027, 7, 15, 10, tzinfo=UTC),
    }
    with pytest.raises(error) as err:
        actions.open_cycle(session, actor=actor(session, "jiangsu.office"), **{**base, **kwargs})
    assert err.value.field == field
    assert (
        session.execute(select(ReportingCycle).where(ReportingCycle.name == base["name"])).first()
        is None
    )


def test_only_the_provincial_office_opens_cycles(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        actions.open_cycle(
            session,
            actor=actor(session, "jiangsu.mz.liaison"),
            name="x",
            kind="year",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            due_at=datetime(2028, 1, 15, tzinfo=UTC),
        )


def test_closing_a_cycle_cancels_the_tasks_and_stops_filing(session) -> None:  # type: ignore[no-untyped-def]
    cycle = open_cycle(session)
    report = report_of(session, cycle, "320000-MZ", "二(一)3(1)")
    actions.close_cycle(session, actor=actor(session, "jiangsu.office"), public_id=cycle.public_id)
    task = session.execute(select(Task).where(Task.subject_id == report.public_id)).scalar_one()
    assert task.status == "cancelled"
    with pytest.raises(Conflict):
        actions.file_report(
            session,
            actor=actor(session, "jiangsu.mz.liaison"),
            public_id=report.public_id,
            data=ReportInput(**GOOD),
        )


def test_the_report_page_shows_a_chinese_error_beside_the_field(login, session) -> None:  # type: ignore[no-untyped-def]
    report = report_of(session, open_cycle(session), "320000-MZ", "二(一)3(1)")
    c = login("jiangsu.mz.liaison")
    r = c.post(
        f"/progress/reports/{report.public_id}",
        data={"implementation": "in_progress", "narrative": "短", "fig_people_trained": "12"},
    )
    assert r.status_code == 422
    assert "请填写工作进展（不少于10个字）" in r.text
    assert 'data-field="narrative"' in r.text
    assert 'value="12"' in r.text  # what was typed is kept
    r = c.post(
        f"/progress/reports/{report.public_id}/evidence",
        files={"file": ("病毒.exe", b"MZ\x90\x00")},
    )
    assert r.status_code == 422 and "文件类型不符" in r.text
