"""A rescued 14-year-old from reception to follow-up, clicked through by the people who do it.

The caseworker receives her and records the shelter stay, medical care and counselling; on a
controlled clock three months pass and the household-registration task appears; the education
officer places her in school without seeing what happened to her; she goes home; a month later
the follow-up visit is due and its reminder goes out. The office's export hides small cells.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from fanguai.outbox import OutboxMessage
from fanguai.tasks.models import Task
from fanguai.victims.service import add_months, beijing_midnight, today_in_beijing
from fanguai.worker import run_once
from tests.browser.conftest import sign_in

HISTORY = "旅程测试：被网友诱骗离家后被控制"


def _login(browser, base: str, username: str, path: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, username, path)
    return page


def _open_form(page, form_id: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#{form_id} > summary")


def _submit(page, form_id: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(f"#{form_id} button[type=submit]")


def _tasks_of(db, file_id: str) -> dict[str, Task]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.execute(select(Task).where(Task.subject_id == file_id)).scalars().all()
        return {t.kind: t for t in rows}


def test_a_rescued_girl_is_received_cared_for_placed_in_school_returned_and_followed_up(
    browser, live_server, live_db, screenshots
) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    today = today_in_beijing()

    # --- the caseworker receives her -------------------------------------------------------
    civil = _login(browser, base, "gusu.civil", "/victims")
    assert "待办事项" in civil.inner_text("main")
    civil.click("a[href='/victims/new']")
    civil.wait_for_url(f"{base}/victims/new")
    civil.fill("#intake input[name=received_at]", f"{today.isoformat()}T00:05")
    civil.select_option("#intake select[name=sex]", "female")
    civil.fill("#intake input[name=age]", "14")
    civil.fill("#intake textarea[name=notes]", "公安机关解救后移交，本人说不清家庭住址")
    civil.screenshot(path=str(screenshots / "victims-01-intake.png"))
    with civil.expect_navigation():
        civil.click("#intake button[type=submit]")
    assert re.search(r"/victims/[0-9a-f-]{36}$", civil.url), civil.url
    file_id = civil.url.rsplit("/", 1)[1]
    assert "14（未成年）" in civil.inner_text("#summary")

    # her history, kept by civil affairs and police only
    _open_form(civil, "profile-form")
    civil.check("#profile-form input[name=exploitation_types][value=sexual]")
    civil.check("#profile-form input[name=means_of_control][value=restricts_movement]")
    civil.fill("#profile-form textarea[name=narrative]", HISTORY)
    _submit(civil, "profile-form")
    assert HISTORY in civil.inner_text("#profile")

    # shelter, then medical care at the county's designated hospital, then counselling
    _open_form(civil, "service-shelter")
    civil.fill("#service-shelter input[name=started_on]", today.isoformat())
    civil.fill("#service-shelter input[name=provider]", "姑苏区未成年人救助保护中心")
    _submit(civil, "service-shelter")
    _open_form(civil, "service-medical")
    civil.fill("#service-medical input[name=started_on]", today.isoformat())
    civil.select_option("#service-medical select[name=hospital]", label="姑苏区人民医院")
    civil.fill("#service-medical textarea[name=diagnosis]", "营养不良，需复查")
    civil.fill("#service-medical input[name=total_cost]", "1800")
    civil.fill("#service-medical input[name=insurance_paid]", "1200")
    _submit(civil, "service-medical")
    _open_form(civil, "service-counselling")
    civil.fill("#service-counselling input[name=started_on]", today.isoformat())
    civil.fill("#service-counselling input[name=provider]", "姑苏区心理健康专科医院")
    civil.fill("#service-counselling input[name=sessions]", "6")
    _submit(civil, "service-counselling")
    services = civil.inner_text("#services table")
    assert "救助安置" in services and "医疗救治" in services and "心理疏导" in services
    assert "600" in services  # the part after insurance, borne by government
    civil.screenshot(path=str(screenshots / "victims-02-file.png"), full_page=True)

    # --- three months in the shelter, identity still unknown ------------------------------
    three_months = beijing_midnight(add_months(today, 3)) + timedelta(hours=1)
    report = run_once(live_db, three_months, only={"victims.rules"})
    assert report.failed == {}
    tasks = _tasks_of(live_db, file_id)
    assert tasks["victims.hukou_application"].owner_unit.code == "320508-MZ"
    assert tasks["victims.hukou_registration"].owner_unit.code == "320508-GA"
    assert "victims.school_placement" in tasks  # of school age without a placement
    civil.goto(f"{base}/victims/{file_id}")
    assert civil.locator("#tasks tr[data-task='victims.hukou_application']").count() == 1
    civil.goto(f"{base}/victims")
    assert civil.locator(f"#due a[href='/victims/{file_id}']").count() >= 1
    civil.screenshot(path=str(screenshots / "victims-03-caseworker-home.png"), full_page=True)

    # --- the education officer places her in school ---------------------------------------
    edu = _login(browser, base, "gusu.edu", "/victims/sector")
    assert "入学安置台账" in edu.inner_text("h1")
    row = edu.locator(f"tr[data-file='{file_id}']")
    assert row.locator("[data-needs-action]").count() == 1
    row.locator("a").first.click()
    edu.wait_for_url(f"{base}/victims/sector/{file_id}")
    text = edu.inner_text("main")
    assert HISTORY not in text and "性剥削" not in text and "营养不良" not in text
    assert "医疗救治" not in text and "受害情况" not in text
    edu.fill("#service-schooling input[name=started_on]", today.isoformat())
    edu.fill("#service-schooling input[name=provider]", "姑苏区沧浪实验初级中学")
    edu.fill("#service-schooling input[name=grade]", "初二")
    edu.check("#service-schooling input[name=record_transferred]")
    edu.screenshot(path=str(screenshots / "victims-04-placement.png"), full_page=True)
    _submit(edu, "service-schooling")
    edu.goto(f"{base}/victims/sector")
    assert "姑苏区沧浪实验初级中学" in edu.inner_text(f"tr[data-file='{file_id}']")
    edu.screenshot(path=str(screenshots / "victims-05-ledger.png"))
    assert edu.goto(f"{base}/victims/{file_id}").status == 403
    assert _tasks_of(live_db, file_id)["victims.school_placement"].status == "done"
    edu.context.close()

    # --- she goes home --------------------------------------------------------------------
    civil.goto(f"{base}/victims/{file_id}")
    _open_form(civil, "service-return_home")
    civil.fill("#service-return_home input[name=started_on]", today.isoformat())
    civil.select_option("#service-return_home select[name=destination]", "family")
    civil.fill("#service-return_home input[name=provider]", "父母")
    civil.fill("#service-return_home textarea[name=privacy_measures]", "不向邻里和学校透露经历")
    _submit(civil, "service-return_home")
    assert civil.inner_text("h1 .tag") == "已回归"
    shelter = civil.locator("#services tr[data-kind='shelter']")
    assert today.isoformat() in shelter.inner_text()  # the stay ended the day she went home

    # --- a month later the follow-up is due, and its reminder goes out --------------------
    visit = beijing_midnight(add_months(today, 1))
    run_once(live_db, visit + timedelta(hours=1), only={"victims.rules"})
    run_once(live_db, visit + timedelta(hours=1), only={"tasks.sweep"})
    followup = _tasks_of(live_db, file_id)["victims.followup_1"]
    assert followup.owner_unit.code == "320508-MZ" and followup.reminded_at is not None
    with live_db.session() as s:
        sent = s.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "task.reminder")
        ).scalars()
        assert followup.public_id in {m.payload.get("task") for m in sent}
    civil.goto(f"{base}/victims")
    ours = civil.locator(f"#due tr[data-task='victims.followup_1'] a[href='/victims/{file_id}']")
    assert ours.count() == 1
    civil.goto(f"{base}/victims/{file_id}")
    timeline = civil.inner_text("#timeline")
    for step in ("接收", "救助安置", "医疗救治", "心理疏导", "入学安置", "回归家庭和社区"):
        assert step in timeline
    civil.screenshot(path=str(screenshots / "victims-06-returned.png"), full_page=True)
    civil.context.close()

    # --- the office's de-identified export hides small cells ------------------------------
    office = _login(browser, base, "jiangsu.office", "/victims/stats")
    text = office.inner_text("main")
    assert "去标识化" in text and "因人数少于10未显示的组合" in text
    suppressed = int(re.search(r"未显示的组合：(\d+)个", text).group(1))
    assert suppressed >= 1
    rows = office.locator("#ctdc-victims tbody tr")
    assert rows.count() >= 1  # the demo's twelve of 2024 show; nothing under ten does
    for count in rows.locator("td:last-child").all_inner_texts():
        assert int(count) >= 10
    office.screenshot(path=str(screenshots / "victims-07-stats.png"), full_page=True)
    office.context.close()
