"""A child of unknown origin from the shelter to the family (issue 7, "done when"):

registered by civil affairs → the DNA-sampling deadline appears and escalates when late → the
lab enters the profile → the kinship search puts the true parents first → a reviewer confirms
after the re-test → the police head records the reunification: the missing case closes as found
and its alert is withdrawn.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from fanguai.db import utcnow
from fanguai.identify.calendar import BEIJING
from tests.browser.conftest import sign_in


def _login(browser, base: str, username: str, target: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, username, target)
    return context, page


def _profile_text() -> str:
    from fanguai.dna.demo import DEMO_TRUTH, demo_samples
    from fanguai.identify.demo import JOURNEY

    child = DEMO_TRUTH[JOURNEY.index].child
    sample = next(s for s in demo_samples()[1] if s.ref == child)
    return "\n".join(f"{locus} {a}/{b}" for locus, (a, b) in sample.genotypes.items())


def _journey_case(db):  # type: ignore[no-untyped-def]
    from fanguai.alerts.models import Alert, MissingCase
    from fanguai.identify.demo import JOURNEY
    from fanguai.identify.fields import person_field
    from fanguai.people.models import Person
    from fanguai.security.crypto_runtime import field_crypto

    with db.session() as s:
        for case in s.execute(select(MissingCase)).scalars():
            if person_field(field_crypto(), s.get(Person, case.person_id), "name") == JOURNEY.child:
                alert = s.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one()
                return case.public_id, case.status, case.outcome, alert.status
    raise AssertionError("no journey case in the demo")


def test_a_child_of_unknown_origin_goes_home(browser, live_server, live_db, screenshots) -> None:  # type: ignore[no-untyped-def]
    from fanguai.tasks.models import Task
    from fanguai.worker import run_once

    base = live_server
    case_id, status, _, alert_status = _journey_case(live_db)
    assert status == "open" and alert_status == "active"

    # 1. The shelter registers the child (civil affairs).
    civil, page = _login(browser, base, "gusu.civil", "/found/new")
    found_at = (utcnow() - timedelta(hours=2)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    page.select_option("select[name=source]", value="shelter_intake")
    page.fill("input[name=found_at]", found_at)
    page.fill("input[name=county_code]", "320508")
    page.fill("input[name=found_place]", "姑苏区石路汽车站")
    page.fill("input[name=found_by]", "姑苏区救助管理站")
    page.fill("input[name=name]", "小宝")
    page.select_option("select[name=sex]", value="male")
    page.fill("input[name=age_min]", "4")
    page.fill("input[name=age_max]", "6")
    page.fill("textarea[name=description]", "左眉上方有一道浅疤，只记得自己叫小宝")
    page.screenshot(path=str(screenshots / "identify-01-register.png"))
    page.click("form[action='/found'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/found/[0-9a-f-]{36}\?done=registered"))
    found_url = page.url.split("?")[0]
    found_id = found_url.rsplit("/", 1)[1]
    sampling = page.locator("table.tasks tr[data-task='identify.dna_sampling']")
    assert sampling.count() == 1 and "姑苏区公安局" in sampling.inner_text()
    assert page.locator("table.tasks tr[data-task='identify.search_notice']").count() == 1
    page.screenshot(path=str(screenshots / "identify-02-deadlines.png"), full_page=True)

    # 2. Nobody takes the sample in time: the worker escalates the task to the city police.
    with live_db.session() as s:
        due = s.execute(
            select(Task.due_at).where(
                Task.subject_id == found_id, Task.kind == "identify.dna_sampling"
            )
        ).scalar_one()
    report = run_once(live_db, due + timedelta(minutes=1), only={"tasks.sweep"})
    assert report.done.get("tasks.sweep", 0) >= 1 and not report.failed
    page.reload()
    row = page.locator("table.tasks tr[data-task='identify.dna_sampling']")
    assert "已上报督办" in row.inner_text()
    assert "苏州市公安局" in page.inner_text("section.next")
    page.screenshot(path=str(screenshots / "identify-03-escalated.png"), full_page=True)
    civil.close()

    # 3. The city lab enters the profile and runs the kinship search.
    lab, page = _login(browser, base, "suzhou.dna", f"/found/{found_id}")
    page.fill("#specimen input[name=kit]", "Goldeneye DNA ID 22NC")
    page.fill("#specimen input[name=lab_ref]", "SZU-2026-J001")
    page.fill("#specimen textarea[name=profile]", _profile_text())
    page.click("#specimen button[type=submit]")
    page.wait_for_url(re.compile(r".*done=specimen"))
    assert (
        page.locator(
            "table.tasks tr[data-task='identify.dna_sampling'][data-status='done']"
        ).count()
        == 1
    )
    page.click("#dna-search button[type=submit]")
    page.wait_for_url(re.compile(r".*done=dna_search"))
    first = page.locator("table.candidates tbody tr").first
    assert first.get_attribute("data-level") == "dna_supported"
    assert "双亲比对" in first.inner_text()
    page.screenshot(path=str(screenshots / "identify-04-candidates.png"), full_page=True)
    with live_db.session() as s:
        from fanguai.identify.models import Candidate

        top = s.execute(
            select(Candidate).where(Candidate.public_id == first.get_attribute("data-candidate"))
        ).scalar_one()
        assert (top.side_type, top.side_id) == ("missing_case", case_id)  # the true parents first

    # 4. The re-test agrees and the analyst signs.
    first.locator("a").click()
    page.wait_for_url(re.compile(r".*/found/candidates/.*"))
    assert page.locator("#confirm button[type=submit]").is_disabled()
    page.fill("#retest textarea[name=profile]", _profile_text())
    page.click("#retest button[type=submit]")
    page.wait_for_url(re.compile(r".*done=retest"))
    assert page.locator("[data-verdict='agrees']").count() == 1
    page.fill("#confirm input[name=note]", "复核样本分型一致，签字确认")
    page.click("#confirm button[type=submit]")
    page.wait_for_url(re.compile(r".*done=confirmed"))
    assert "已签字确认" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "identify-05-confirmed.png"), full_page=True)
    lab.close()

    # 5. The police head records the reunification: the case closes, the alert is withdrawn.
    chief, page = _login(browser, base, "gusu.chief", f"/found/{found_id}/reunify")
    page.fill("input[name=place]", "姑苏区公安局接待室")
    page.fill("textarea[name=family_contacted]", "父亲陈志明、母亲赵丽娟到场，核对无误")
    page.fill("textarea[name=child_wishes]", "孩子认出母亲，愿意回家")
    page.screenshot(path=str(screenshots / "identify-06-reunify.png"), full_page=True)
    page.click("form[action$='/reunify'] button[type=submit]")
    page.wait_for_url(re.compile(r".*done=reunited"))
    assert "已团聚" in page.inner_text("h1")
    page.screenshot(path=str(screenshots / "identify-07-reunited.png"), full_page=True)
    page.goto(f"{base}/found")
    row = page.locator(f"table.found tr[data-found='{found_id}']")
    assert "已团聚" in row.inner_text()
    page.screenshot(path=str(screenshots / "identify-08-list.png"), full_page=True)
    chief.close()
    _, status, outcome, alert_status = _journey_case(live_db)
    assert (status, outcome, alert_status) == ("closed", "found_alive", "withdrawn")
