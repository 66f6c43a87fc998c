"""A DNA analyst checks a lab file, reads the errors, imports it, and reads a match locus by
locus; a supervisor asks for a reveal grant that another supervisor approves."""

from __future__ import annotations

from tests.browser.conftest import sign_in
from tests.dna.helpers import Family, wide


def _login(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, username, target)


def test_an_analyst_imports_a_lab_file_and_reads_a_match(page, live_server, screenshots) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    _login(page, base, "suzhou.dna", "/dna")
    assert "来历不明儿童" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "dna-01-specimens.png"))

    fam = Family(95)
    father = fam.person()
    child = fam.child(father, None)
    broken = dict(child)
    broken["FGA"] = ("22", "abc")
    page.goto(f"{base}/dna/import")
    page.select_option("select[name=layout]", "wide")
    page.fill("input[name=kit]", "Goldeneye DNA ID 22NC")
    page.fill(
        "textarea[name=text]",
        wide([("BR-F", "father", "", father), ("BR-U", "unknown_child", "", broken)]),
    )
    page.click("button[value=check]")
    page.wait_for_load_state()
    errors = page.inner_text("ol.errors")
    assert "第 3 行，样本 BR-U，基因座 FGA" in errors
    page.screenshot(path=str(screenshots / "dna-02-import-errors.png"), full_page=True)

    page.fill(
        "textarea[name=text]",
        wide([("BR-F", "father", "", father), ("BR-U", "unknown_child", "", child)]),
    )
    page.click("button[value=import]")
    page.wait_for_load_state()
    assert "已导入 2 个样本" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "dna-03-imported.png"))
    page.locator("td a", has_text="强烈支持").first.click()
    page.wait_for_load_state()
    assert "逐基因座似然比" in page.inner_text("main")
    assert page.locator("table.loci tbody tr").count() == 22
    page.screenshot(path=str(screenshots / "dna-04-match.png"), full_page=True)


def test_a_reveal_needs_another_supervisors_approval(
    browser, live_server, live_db, screenshots
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from fanguai.dna.demo import DEMO_TRUTH
    from fanguai.dna.models import Specimen

    base = live_server
    # The specimen ID the identification module would link to (pages name specimens by ID).
    with live_db.session() as session:
        specimen = session.execute(
            select(Specimen.public_id).where(Specimen.lab_ref == DEMO_TRUTH[1].child)
        ).scalar_one()
    requester = browser.new_context(locale="zh-CN")
    chief = requester.new_page()
    _login(chief, base, "suzhou.police", "/dna/reveal-grants")
    chief.fill("input[name=specimen]", specimen)
    chief.click("form.filters button[type=submit]")
    chief.wait_for_url(f"{base}/dna/specimens/{specimen}/reveal")
    chief.fill("input[name=reason]", "比中后联系家属核对")
    chief.click("main form.card button[type=submit]")
    chief.wait_for_url(f"{base}/dna/specimens/{specimen}/reveal")
    assert "待审批" in chief.inner_text("main")
    chief.screenshot(path=str(screenshots / "dna-05-reveal-requested.png"))

    deciding = browser.new_context(locale="zh-CN")
    approver = deciding.new_page()
    _login(approver, base, "suzhou.labchief", "/dna/reveal-grants")
    approver.locator(f"tr:has(code:text('{specimen}')) button", has_text="批准").click()
    approver.wait_for_url(f"{base}/dna/reveal-grants")
    chief.reload()
    assert "已获授权" in chief.inner_text("main")
    chief.screenshot(path=str(screenshots / "dna-06-reveal-granted.png"))
    requester.close()
    deciding.close()
