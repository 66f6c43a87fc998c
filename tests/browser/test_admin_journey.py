"""The three admins each open their own page; the auditor sees the chain verified."""

from __future__ import annotations

from tests.browser.conftest import sign_in
from tests.browser.test_foundation_journey import _login


def _login_to(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, username, target)


def test_the_security_admin_and_the_auditor_work_on_their_own_pages(
    browser, live_server, screenshots
) -> None:  # type: ignore[no-untyped-def]
    for username, target, shot, expect in (
        ("secadmin", "/admin/security", "06-admin-security.png", "安全管理"),
        ("auditor", "/admin/audit?verify=1", "07-admin-audit.png", "审计日志完整"),
        ("sysadmin", "/admin/system", "08-admin-system.png", "账号管理"),
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        _login_to(page, live_server, username, target)
        assert expect in page.inner_text("main")
        nav = page.inner_text("nav.nav")
        assert "措施目录" not in nav  # no business pages for admins
        page.screenshot(path=str(screenshots / shot))
        context.close()


def test_the_login_keeps_the_next_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _login(page, live_server, "gusu.civil")
    assert page.url.endswith("/measures")
