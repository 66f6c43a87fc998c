"""Every accountability page answers its personas in Chinese; outsiders are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanguai.accountability.models import Evaluation, LocalRules, ProgressReport
from tests.accountability.helpers import open_cycle, report_of


@pytest.mark.parametrize(
    "path",
    [
        "/progress",
        "/progress/overview",
        "/progress/reports",
        "/progress/cycles",
        "/progress/local-rules",
        "/evaluations",
        "/dashboard",
    ],
)
def test_the_office_opens_every_page(login, path) -> None:  # type: ignore[no-untyped-def]
    r = login("jiangsu.office").get(path)
    assert r.status_code == 200, r.text
    assert '<html lang="zh-CN">' in r.text


def test_detail_pages_open_for_the_office(login, session) -> None:  # type: ignore[no-untyped-def]
    office = login("jiangsu.office")
    cycle = open_cycle(session)
    report = report_of(session, cycle, "320000-GA", "二(一)1")
    assert office.get(f"/progress/reports/{report.public_id}").status_code == 200
    contribution = report.contributions[0]
    assert office.get(f"/progress/contributions/{contribution.public_id}").status_code == 200
    rules = session.execute(select(LocalRules)).scalars().first()
    assert office.get(f"/progress/local-rules/{rules.public_id}").status_code == 200
    ev = session.execute(select(Evaluation)).scalars().first()
    page = office.get(f"/evaluations/{ev.public_id}")
    assert page.status_code == 200 and "表扬" in page.text
    item = ev.items[0]
    assert office.get(f"/evaluations/items/{item.public_id}").status_code == 200


def test_a_police_officer_without_progress_permissions_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    assert officer.get("/progress").status_code == 403
    assert officer.get("/evaluations").status_code == 403
    assert officer.get("/dashboard").status_code == 403


def test_a_county_supervisor_does_not_see_a_provincial_report(login, session) -> None:  # type: ignore[no-untyped-def]
    cycle = open_cycle(session)
    provincial = report_of(session, cycle, "320000-GA", "二(一)1")
    county = (
        session.execute(
            select(ProgressReport).where(
                ProgressReport.cycle_id == cycle.id, ProgressReport.division_code == "320508"
            )
        )
        .scalars()
        .first()
    )
    chief = login("gusu.chief")
    assert chief.get(f"/progress/reports/{provincial.public_id}").status_code == 404
    assert chief.get(f"/api/progress/reports/{provincial.public_id}").status_code == 404
    assert chief.get(f"/progress/reports/{county.public_id}").status_code == 200
