"""Issue 4's journey: a member of the public reports a child missing near 姑苏区 from a phone →
the Gusu police (and no other unit) sees it as urgent → an officer acknowledges it and transfers
it to civil affairs, which records the outcome → the reporter's status page shows it closed.
A mandatory report from the demo school reaches the police at once. An unacknowledged lead
escalates to the city on a controlled clock."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from fanguai import geo, worker
from fanguai.db import utcnow
from tests.browser.conftest import sign_in

# Near the seat of 姑苏区 (苏州老城), where a phone would report its position.
NEAR_GUSU = {"latitude": 31.3166, "longitude": 120.6221}


def _login(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, username, target)


def _staff(browser, base: str, username: str, target: str = "/leads"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, username, target)
    return context, page


def _report_missing_child(browser, base: str, screenshots) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=NEAR_GUSU,
        permissions=["geolocation"],
    )
    page = phone.new_page()
    page.goto(f"{base}/report")
    loaded = time.monotonic()
    page.check("input[name=lead_type][value=missing_now]")
    page.check("input[name=danger_now]")
    page.fill(
        "textarea[name=description]", "女儿在观前街商场门口走散，已经找了二十分钟，手机联系不上。"
    )
    page.fill("input[name=child_name]", "小雨")
    page.select_option("select[name=child_sex]", "female")
    page.fill("input[name=child_age]", "约6岁")
    page.fill("input[name=child_features]", "粉色外套，两个小辫")
    page.click("#use-location")
    page.locator("#location-status", has_text="已获取当前位置").wait_for()
    page.wait_for_selector("#report-form[data-pow-ready='1']", timeout=30_000)
    solve_seconds = time.monotonic() - loaded
    page.screenshot(path=str(screenshots / "leads-01-report-phone.png"), full_page=True)
    # A person takes more than a few seconds to write this (faster is treated as a bot).
    page.wait_for_timeout(max(0, 4000 - (time.monotonic() - loaded) * 1000))
    page.click("button[type=submit].big")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code")
    phrase = page.inner_text("#passphrase")
    page.screenshot(path=str(screenshots / "leads-02-report-done.png"), full_page=True)
    print(f"proof of work solved in headless Chromium within {solve_seconds:.2f} s")  # H2
    phone.close()
    return code, phrase


def test_a_reported_missing_child_reaches_the_county_police_and_the_reporter_sees_the_outcome(
    browser, live_server, live_db, screenshots
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.leads.models import Lead

    base = live_server
    assert geo.locate(NEAR_GUSU["latitude"], NEAR_GUSU["longitude"]).county.code == "320508"
    code, phrase = _report_missing_child(browser, base, screenshots)
    with live_db.session() as s:
        lead = s.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()
        assert lead.owner_unit.code == "320508-GA" and lead.status == "received"

    # Another county's police does not see it.
    context, page = _staff(browser, base, "wuzhong.police")
    page.goto(f"{base}/leads?code={code}")
    assert "没有跟踪码为" in page.inner_text("main")
    context.close()

    police_context, police = _staff(browser, base, "gusu.police")
    row = police.locator(f"tr:has(code:text('{code}'))")
    assert "紧急" in row.inner_text() and "待签收" in row.inner_text()
    police.screenshot(path=str(screenshots / "leads-03-police-inbox.png"))
    row.locator("a").click()
    police.wait_for_selector("#acknowledge")
    assert "观前街商场门口走散" in police.inner_text("main")
    police.click("#acknowledge")
    police.locator("#lead-status", has_text="已签收").wait_for()
    police.select_option("#transfer-form select[name=department]", "civil_affairs")
    police.fill(
        "#transfer-form textarea[name=reason]",
        "孩子已在商场保安处找到，家长未到，先由民政临时照料。",
    )
    police.screenshot(path=str(screenshots / "leads-04-lead-transfer.png"), full_page=True)
    police.click("#transfer-form button[type=submit]")
    police.locator("p.note.ok", has_text=code).wait_for()

    civil_context, civil = _staff(browser, base, "gusu.civil")
    civil.locator(f"tr:has(code:text('{code}')) a").click()
    civil.wait_for_selector("#acknowledge")
    assert "苏州市姑苏区民政局" in civil.inner_text("#lead-unit")
    civil.click("#acknowledge")
    civil.locator("#lead-status", has_text="已签收").wait_for()
    civil.select_option("#outcome-form select[name=outcome]", "substantiated")
    civil.fill("#outcome-form textarea[name=note]", "已联系家长，孩子由母亲接回。")
    civil.click("#outcome-form button[type=submit]")
    civil.locator("#lead-status", has_text="已办结").wait_for()
    timeline = civil.inner_text("#timeline")
    for step in ("收到线索", "签收", "移交", "办结"):
        assert step in timeline
    civil.screenshot(path=str(screenshots / "leads-05-lead-closed.png"), full_page=True)
    civil_context.close()

    reporter = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
    )
    page = reporter.new_page()
    page.goto(f"{base}/report/status")
    page.fill("input[name=tracking_code]", code)
    page.fill("input[name=passphrase]", phrase)
    page.click("button[type=submit]")
    page.wait_for_selector("#status-result")
    assert "已办结" in page.inner_text("ol.steps li.current")
    assert "民政" not in page.inner_text("main") and "公安" not in page.inner_text("main")
    page.screenshot(path=str(screenshots / "leads-06-reporter-status.png"), full_page=True)
    reporter.close()

    # A mandatory report from the demo school reaches the police at once.
    school_context, school = _staff(browser, base, "gusu.school", "/portal")
    school.check("input[name=category][value=suspected_trafficking]")
    school.fill("textarea[name=description]", "学生说放学路上有陌生人多次跟随，许诺带他去外地玩。")
    school.click("button[type=submit].big")
    school.wait_for_selector("#portal-done")
    report_code = school.inner_text("#portal-done #tracking-code")
    school.screenshot(path=str(screenshots / "leads-07-portal.png"), full_page=True)
    school_context.close()
    police.goto(f"{base}/leads")
    row = police.locator(f"tr:has(code:text('{report_code}'))")
    assert "紧急" in row.inner_text() and "强制报告" in row.inner_text()
    police_context.close()


def test_an_unacknowledged_lead_escalates_to_the_city_on_a_controlled_clock(
    browser, live_server, live_db, screenshots
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.leads.intake import submit_staff
    from fanguai.leads.models import Lead
    from fanguai.leads.schemas import LeadInput
    from fanguai.org.models import User
    from fanguai.security.crypto_runtime import field_crypto
    from fanguai.security.service import actor_for_user

    with live_db.session() as s:
        officer = actor_for_user(
            s.execute(select(User).where(User.username == "gusu.police")).scalar_one()
        )
        answer = submit_staff(
            s,
            field_crypto(),
            actor=officer,
            data=LeadInput(
                lead_type="trafficking",
                description="来电称车站有人抱走一名哭闹的幼儿。",
                county_code="320508",
            ),
            photos=[],
            idempotency_key=None,
        )
        due = s.execute(
            select(Lead.ack_due_at).where(Lead.tracking_code == answer.body["tracking_code"])
        ).scalar_one()
    assert due - utcnow() <= timedelta(hours=1)
    report = worker.run_once(live_db, due + timedelta(minutes=1), only={"tasks.sweep"})
    assert report.failed == {}
    context, page = _staff(browser, live_server, "suzhou.police")
    row = page.locator(f"tr:has(code:text('{answer.body['tracking_code']}'))")
    assert "已升级督办" in row.inner_text()
    page.screenshot(path=str(screenshots / "leads-08-escalated.png"))
    context.close()
