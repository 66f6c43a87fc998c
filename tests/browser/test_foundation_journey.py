"""A police officer logs in, opens the measures catalogue and the divisions map."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _login(page, base: str, username: str, screenshots=None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/measures")
    assert page.url.startswith(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mfa\?next=.*"))
    if screenshots is not None:
        page.screenshot(path=str(screenshots / "01b-second-factor.png"))
    # Demo mode shows the persona's current code (a real deployment never does).
    code = re.search(r"\b(\d{6})\b", page.inner_text("p.note")).group(1)
    page.fill("input[name=code]", code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/measures")


def test_an_officer_logs_in_and_browses_the_catalogue_and_the_map(
    page, live_server, screenshots
) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    page.goto(f"{base}/login")
    page.screenshot(path=str(screenshots / "01-login.png"))
    _login(page, base, "gusu.police", screenshots)
    assert page.locator("ol.catalogue li").count() == 68
    page.screenshot(path=str(screenshots / "02-measures.png"), full_page=False)

    page.select_option("select[name=unit]", label="省教育厅")
    page.select_option("select[name=role]", value="lead")
    # htmx swaps the results in place and puts the filters into the address bar.
    page.wait_for_url("**/measures?*role=lead*")
    page.locator("ol.catalogue li").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('ol.catalogue li').length < 68")
    codes = page.locator("ol.catalogue a.code").all_inner_texts()
    assert "二(三)2(1)" in codes and "二(一)1" not in codes
    page.locator("a.code", has_text="二(三)2(1)").click()
    page.wait_for_load_state()
    assert "入学安置台账" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "03-measure-detail.png"))

    page.goto(f"{base}/divisions")
    page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
    assert page.locator("#map canvas").count() >= 1
    page.fill("input[name=lat]", "31.326")
    page.fill("input[name=lng]", "120.628")
    page.click("#locate button[type=submit]")
    page.locator("#locate-result", has_text="姑苏区").wait_for(timeout=10_000)
    assert "320508" in page.inner_text("#locate-result")
    page.screenshot(path=str(screenshots / "04-divisions-map.png"), full_page=False)

    page.goto(f"{base}/")
    assert "辖区内可见单位" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "05-home.png"))


def test_a_wrong_password_shows_a_chinese_error_and_keeps_the_name(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "gusu.civil")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("[role=alert]")
    assert page.input_value("input[name=username]") == "gusu.civil"
