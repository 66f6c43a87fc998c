"""A liaison of 省民政厅 files progress with evidence; the office sees it, flags the overdue,
scores a phase evaluation, exports the report as PDF (its Chinese text rendered) and Excel, and
reads the dashboard's county map."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from fanguai import geo, worker
from fanguai.accountability import dashboard
from fanguai.accountability.catalogue import SUPPRESS_BELOW
from fanguai.accountability.demo import demo_pdf
from fanguai.accountability.models import ProgressReport, ReportingCycle
from fanguai.leads.stats import counts_by_county_month
from fanguai.org.models import Unit
from fanguai.outbox import OutboxMessage
from fanguai.plan import load_bundled_plan
from tests.accountability.pdfcheck import glyph_problems, render_page
from tests.browser.conftest import sign_in

NARRATIVE = (
    "组织全省婚姻登记机关开展疑似拐卖妇女情形识别培训，建立登记环节发现、制止、报告工作流程。"
)


def _login(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, username, target)


def _plan_codes(role: str) -> list[str]:
    field = "lead_units" if role == "lead" else "cooperating_units"
    return [m.code for m in load_bundled_plan().measures if "省民政厅" in getattr(m, field)]


def _liaison_files_a_report(page, base, tmp_path, shots) -> None:  # type: ignore[no-untyped-def]
    _login(page, base, "jiangsu.mz.liaison", "/progress")
    lead = page.locator("#lead-measures li").evaluate_all("els => els.map(e => e.dataset.code)")
    coop = page.locator("#coop-measures li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert lead == _plan_codes("lead") and coop == _plan_codes("cooperating")
    page.screenshot(path=str(shots / "acc-01-liaison-measures.png"), full_page=True)
    page.click('#my-reports tr[data-measure="二(一)3(1)"] a')
    page.select_option("select[name=implementation]", "in_progress")
    page.fill("textarea[name=narrative]", NARRATIVE)
    page.fill("input[name=fig_people_trained]", "320")
    page.fill("input[name=fig_campaigns]", "6")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*saved=1"))
    evidence = tmp_path / "婚姻登记培训签到表.pdf"
    evidence.write_bytes(demo_pdf("training sign-in sheet"))
    page.set_input_files("#evidence-form input[type=file]", str(evidence))
    page.click("#evidence-form button[type=submit]")
    page.locator("#evidence a", has_text="婚姻登记培训签到表.pdf").wait_for()
    # A wrong file type is refused in Chinese, and nothing is attached.
    bad = tmp_path / "说明.pdf"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    page.set_input_files("#evidence-form input[type=file]", str(bad))
    page.click("#evidence-form button[type=submit]")
    assert "文件类型不符" in page.inner_text("[role=alert]")
    assert page.locator("#evidence a", has_text="说明.pdf").count() == 0
    page.screenshot(path=str(shots / "acc-02-report-filed.png"), full_page=True)


def _office_sees_it_and_the_overdue(page, base, live_db, shots) -> None:  # type: ignore[no-untyped-def]
    _login(page, base, "jiangsu.office", "/progress/reports?status=submitted")
    page.click('#reports tr[data-measure="二(一)3(1)"][data-unit="320000-MZ"] a')
    assert NARRATIVE in page.inner_text("#report-body")
    assert "婚姻登记培训签到表.pdf" in page.inner_text("#evidence")
    with live_db.session() as s:
        cycle = s.execute(
            select(ReportingCycle).where(ReportingCycle.status == "open")
        ).scalar_one()
        due = cycle.due_at
    # The deadline passes (controlled clock): the worker flags and escalates.
    report = worker.run_once(
        live_db, due + timedelta(days=1), only={"tasks.sweep", "progress.escalate"}
    )
    assert report.failed == {} and report.done["progress.escalate"] > 0
    page.goto(f"{base}/progress/overview")
    flagged = page.locator('#overdue-units li[data-unit="320000-MZ"]')
    assert "逾期" in flagged.inner_text()
    page.screenshot(path=str(shots / "acc-03-overdue-flagged.png"), full_page=True)
    with live_db.session() as s:
        office = s.execute(select(Unit).where(Unit.code == "320000-FGB")).scalar_one()
        told = (
            s.execute(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "progress.overdue", OutboxMessage.unit_id == office.id
                )
            )
            .scalars()
            .all()
        )
        assert any("省民政厅" in m.payload["units"] for m in told)
        filed = (
            s.execute(
                select(ProgressReport).where(
                    ProgressReport.cycle_id == cycle.id, ProgressReport.status == "submitted"
                )
            )
            .scalars()
            .all()
        )
        assert all(r.escalated_at is None for r in filed)


def _office_scores_and_exports(page, base, tmp_path, shots) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/evaluations")
    page.select_option("#evaluation-form select[name=kind]", "phase")
    page.fill(
        "#evaluation-form input[name=title]", "关于2026年反拐工作阶段性评估情况的通报（旅程测试）"
    )
    for box in page.locator("#evaluation-form input[name=cycles]").all():
        box.check()
    page.click("#evaluation-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/evaluations/[0-9a-f-]{36}$"))
    page.click("#apply-suggested")
    page.wait_for_load_state()
    assert page.inner_text("#n-items") == page.inner_text("#n-scored")
    page.select_option("#items select[name=unit]", label="省民政厅")
    page.click("#items button[type=submit]")
    page.click('#item-list tr[data-unit="320000-MZ"] a >> nth=0')
    scores = {"completion": "36", "timeliness": "18", "evidence": "22", "innovation": "12"}
    for code, value in scores.items():
        page.fill(f"input[name=score_{code}]", value)
    page.fill("textarea[name=comment]", "婚姻登记环节识别机制有创新")
    page.click("#score-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/evaluations/[0-9a-f-]{36}\?unscored=1"))
    page.select_option("#recognition-form select[name=unit]", label="省民政厅")
    page.select_option("#recognition-form select[name=kind]", "commend")
    page.fill("#recognition-form input[name=reason]", "婚姻登记环节识别机制有创新，措施得力")
    page.click("#recognition-form button[type=submit]")
    page.locator('#list-commend li[data-unit="320000-MZ"]').wait_for()
    page.screenshot(path=str(shots / "acc-04-evaluation.png"), full_page=False)

    with page.expect_download() as pdf_download:
        page.click("#pdf-link")
    pdf = open(pdf_download.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF-")
    image, text, chars = render_page(pdf, 0, save_to=shots / "acc-05-report-page1.png")
    flat = text.replace("\r\n", "").replace("\n", "")
    assert "江苏省反对拐卖人口联席会议办公室" in flat and "（旅程测试）" in flat
    assert glyph_problems(image, chars, "江苏省反对拐卖人口联席会议办公室") == []
    with page.expect_download() as xlsx_download:
        page.click("#xlsx-link")
    wb = load_workbook(io.BytesIO(open(xlsx_download.value.path(), "rb").read()))
    lists = [[c.value for c in row] for row in wb["表扬与批评"].iter_rows(min_row=3)]
    assert ["表扬", "省民政厅"] == lists[0][:2]


def _real_map(live_db, now: datetime) -> tuple[dict[str, int], dict[str, int | None]]:  # type: ignore[no-untyped-def]
    """The leads module's real counts per county over the page's 36 months, and what the
    suppression rule leaves of them on the map."""
    first = dashboard.period_months(now, 36)[0]
    with live_db.session() as s:
        rows = counts_by_county_month(s)
    totals = {d.code: 0 for d in geo.divisions("county")}
    for county, month, n in rows:
        if month >= first:
            totals[county] += n
    cells = dashboard.suppress_counties(totals)
    return totals, {code: cell.value for code, cell in cells.items()}


def _dashboard_map(page, base, live_db, shots) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    dashboard.refresh_rollup(live_db, now, force_full=True)
    totals, expected = _real_map(live_db, now)
    page.goto(f"{base}/dashboard?source=leads&months=36")
    page.wait_for_selector("#dash-map[data-ready='1']", timeout=15_000)
    assert page.locator("#dash-map canvas").count() >= 1
    values = json.loads(page.get_attribute("#dash-map", "data-values"))
    assert len(values) == 95  # every county of Jiangsu, figure or "<10"
    assert values == expected
    # The demo's history of leads puts real figures on the map, each one the county's count...
    shown = {code: v for code, v in values.items() if v is not None}
    assert len(shown) >= 15
    assert all(totals[code] == v >= SUPPRESS_BELOW for code, v in shown.items())
    assert {"320508", "320102", "320213"} <= set(shown)  # 姑苏区, 玄武区, 梁溪区
    # ...while a county with a few leads shows "<10", and a larger count is hidden only where
    # it would give away the one small count of its city.
    assert any(0 < n < SUPPRESS_BELOW and values[code] is None for code, n in totals.items())
    for code, value in values.items():
        if value is None and totals[code] >= SUPPRESS_BELOW:
            small = [c for c, n in totals.items() if c[:4] == code[:4] and n < SUPPRESS_BELOW]
            assert len(small) == 1, (code, small)
    assert page.locator("#plan-sections tbody tr").count() == 5
    page.screenshot(path=str(shots / "acc-06-dashboard.png"), full_page=True)
    # Drill down to the city of the county with the largest figure.
    top = max(shown, key=shown.get)
    page.click(f'#live-table tr[data-code="{top[:4]}00"] a')
    page.wait_for_selector("#dash-map[data-ready='1']", timeout=15_000)
    rows = page.locator("#live-table tbody tr").evaluate_all("els => els.map(e => e.dataset.code)")
    assert top in rows and all(code[:4] == top[:4] for code in rows)
    page.screenshot(path=str(shots / "acc-07-dashboard-city.png"), full_page=True)


def test_progress_is_reported_flagged_evaluated_exported_and_mapped(
    browser, live_server, live_db, screenshots, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    liaison = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _liaison_files_a_report(liaison.new_page(), live_server, tmp_path, screenshots)
    liaison.close()
    office = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = office.new_page()
    _office_sees_it_and_the_overdue(page, live_server, live_db, screenshots)
    _office_scores_and_exports(page, live_server, tmp_path, screenshots)
    _dashboard_map(page, live_server, live_db, screenshots)
    office.close()
