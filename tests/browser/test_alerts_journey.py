"""A missing child: report → case with leader → publish → the ring widens at 1, 2 and 3 hours
(controlled clock) → found → the withdrawal reaches every recipient who got the alert; closing an
unsolved case is refused."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from fanguai.alerts.models import Alert, MissingCase
from fanguai.alerts.sink import LoopbackSink
from fanguai.db import utcnow
from fanguai.worker import run_once
from tests.browser.conftest import sign_in

DEMO_SECRET = "demo-secret-not-for-production"


def _login(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    sign_in(page, base, username, target)


def _by_stage(sink, alert_id: str) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[int, set[str]] = {}
    for key in sink.state.seen:
        alert, seq, sub = key.split(":")
        if alert == alert_id:
            out.setdefault(int(seq), set()).add(sub)
    return out


def test_a_missing_child_from_report_to_found(page, live_server, live_db, screenshots) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    seen_at = utcnow() - timedelta(minutes=20)
    with LoopbackSink(DEMO_SECRET, port=8765) as sink:
        _login(page, base, "gusu.police", "/cases/new")
        page.fill("input[name=child_name]", "旅程童")
        page.select_option("select[name=child_sex]", "male")
        page.fill("input[name=child_age]", "8")
        page.fill("textarea[name=description]", "蓝色上衣，黑色书包")
        page.fill("input[name=last_seen_place]", "苏州站南广场")
        page.fill("input[name=last_seen_lat]", "31.3290")
        page.fill("input[name=last_seen_lng]", "120.6090")
        page.fill(
            "input[name=last_seen_at]", (seen_at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
        )
        page.fill("input[name=guardian_name]", "旅程家长")
        page.fill("input[name=guardian_phone]", "13600001111")
        page.screenshot(path=str(screenshots / "alerts-01-report.png"))
        page.click("form.case-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
        case_url = page.url
        assert "王强" in page.inner_text("main")  # gusu.chief leads by default
        assert "旅程家长" not in page.content()

        _login(page, base, "gusu.chief", case_url.removeprefix(base))
        page.click("#publish")
        page.wait_for_selector("#alert-status")
        assert "100 公里" in page.inner_text("#alert-status")
        with live_db.session() as s:
            case = s.execute(
                select(MissingCase).where(MissingCase.public_id == case_url.rsplit("/", 1)[1])
            ).scalar_one()
            alert = s.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one()
            started = alert.started_at
        run_once(live_db, utcnow())
        page.reload()
        page.wait_for_selector("#alerts-map[data-ready='1']", timeout=15_000)
        page.screenshot(path=str(screenshots / "alerts-02-published.png"), full_page=True)

        for hours, km in ((1, 200), (2, 300), (3, 500)):
            run_once(live_db, started + timedelta(hours=hours, minutes=1))
            page.reload()
            assert f"{km} 公里" in page.inner_text("#alert-status"), km
        page.screenshot(path=str(screenshots / "alerts-03-widened.png"), full_page=True)
        got = _by_stage(sink, alert.public_id)
        assert sorted(got) == [1, 2, 3, 4] and all(got.values())

        # Closing without an outcome (unsolved) is refused.
        page.click("#close-form button[type=submit]")
        page.wait_for_load_state()
        page.goto(case_url)
        assert "侦办中" in page.inner_text("#case-status")

        page.select_option("#close-form select[name=outcome]", "found_alive")
        page.fill("#close-form input[name=reason]", "在苏州站派出所找到")
        page.click("#close-form button[type=submit]")
        page.wait_for_selector("#outcome")
        run_once(live_db, started + timedelta(hours=3, minutes=30))
        got = _by_stage(sink, alert.public_id)
        reached = set().union(*(got[s] for s in (1, 2, 3, 4)))
        assert got[5] == reached  # every recipient who got the alert hears it is over
        page.reload()
        assert "已结案" in page.inner_text("#case-status")
        assert page.locator("#delivery tr[data-kind='withdraw']").count() >= 1
        page.screenshot(path=str(screenshots / "alerts-04-found.png"), full_page=True)
        page.goto(f"{base}/public/alerts/{alert.public_id}")
        assert "预警已结束" in page.inner_text("main")
