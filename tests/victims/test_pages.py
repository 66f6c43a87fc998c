"""The pages: Chinese throughout, forms that keep what was typed and say beside the field what
is wrong, each person seeing their own piece."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from fanguai.people.service import age_on
from fanguai.victims.models import VictimFile
from fanguai.victims.service import today_in_beijing
from tests.victims.conftest import SENTINEL_HISTORY, count, intake


def _error_beside(html: str, field: str) -> str:
    match = re.search(rf'data-error="{field}">([^<]+)<', html)
    assert match, f"no error shown beside {field}"
    return match.group(1)


def test_the_caseworker_home_shows_tasks_my_files_and_the_way_to_receive_a_victim(user) -> None:  # type: ignore[no-untyped-def]
    page = user("gusu.civil").get("/victims")
    assert page.status_code == 200
    for text in ("被拐卖受害人救助", "待办事项", "我负责的档案", "接收登记", "辖区内档案"):
        assert text in page.text
    assert "张明远" not in page.text and "张**" in page.text  # names masked in lists


def test_the_intake_form_says_what_is_wrong_beside_the_field_and_keeps_what_was_typed(
    user, session
) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    assert "接收登记" in civil.get("/victims/new").text
    before = count(session, VictimFile)
    form = {
        "received_at": "2026-01-10T09:30",
        "sex": "female",
        "birth_date": "2012-03-01",
        "age": "9",
        "notes": "测试备注",
    }
    r = civil.post("/victims", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert _error_beside(r.text, "age") == "年龄与出生日期不符（按接收当日计算周岁）。"
    assert 'value="2012-03-01"' in r.text and "测试备注" in r.text
    assert count(session, VictimFile) == before
    form["age"] = "13"
    r = civil.post("/victims", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/victims/")
    page = civil.get(r.headers["location"])
    age_now = age_on(date(2012, 3, 1), today_in_beijing())
    assert (
        "专门档案" in page.text and "时间线" in page.text and f'data-age="{age_now}"' in page.text
    )


def test_a_service_form_with_dates_out_of_order_opens_again_with_the_message(user) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(received_at=intake()["received_at"])).json()[
        "id"
    ]
    today = today_in_beijing()
    r = civil.post(
        f"/victims/{file_id}/services",
        data={
            "kind": "shelter",
            "started_on": str(today),
            "ended_on": str(today - timedelta(days=1)),
            "provider": "姑苏区救助站",
        },
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert _error_beside(r.text, "ended_on") == "结束日期早于开始日期。"
    assert '<details id="service-shelter" open>' in r.text and "姑苏区救助站" in r.text
    r = civil.post(
        f"/victims/{file_id}/services",
        data={"kind": "shelter", "started_on": str(today), "provider": "姑苏区救助站"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "姑苏区救助站" in civil.get(f"/victims/{file_id}").text


def test_a_closed_file_says_so_in_chinese_and_offers_no_forms(user) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake()).json()["id"]
    r = civil.post(
        f"/victims/{file_id}/close", data={"reason": "completed"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = civil.get(f"/victims/{file_id}").text
    assert "档案已结案" in page and 'action="/victims/' + file_id + '/services"' not in page


def test_the_profile_form_maps_timeline_errors_to_the_stage(user) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake()).json()["id"]
    today = today_in_beijing()
    r = civil.post(
        f"/victims/{file_id}/profile",
        data={
            "exploitation_types": ["sexual", "labour"],
            "recruitment_start": str(today - timedelta(days=30)),
            "transit_start": str(today - timedelta(days=40)),
            "narrative": SENTINEL_HISTORY,
        },
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "时间顺序不对" in _error_beside(r.text, "transit_start")
    assert SENTINEL_HISTORY in r.text  # kept in the form


def test_the_education_officer_sees_the_ledger_and_not_the_history(user) -> None:  # type: ignore[no-untyped-def]
    civil = user("gusu.civil")
    file_id = civil.post("/api/victims", json=intake(age=10)).json()["id"]
    civil.post(
        f"/victims/{file_id}/profile",
        data={"exploitation_types": "sexual", "narrative": SENTINEL_HISTORY},
    )
    edu = user("gusu.edu")
    ledger = edu.get("/victims/sector")
    assert "入学安置台账" in ledger.text and file_id in ledger.text
    page = edu.get(f"/victims/sector/{file_id}")
    assert page.status_code == 200
    assert (
        SENTINEL_HISTORY not in page.text
        and "受害情况" not in page.text
        and "性剥削" not in page.text
    )
    assert "就读学校" in page.text
    r = edu.post(
        f"/victims/sector/{file_id}/services",
        data={
            "kind": "schooling",
            "started_on": str(today_in_beijing()),
            "provider": "沧浪实验小学",
            "grade": "四年级",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "沧浪实验小学" in edu.get("/victims/sector").text
    assert edu.get(f"/victims/{file_id}").status_code == 403


def test_the_hospital_registry_shows_every_county_covered_and_health_keeps_it(user) -> None:  # type: ignore[no-untyped-def]
    page = user("gusu.police").get("/victims/hospitals")
    assert "定点医疗机构名录" in page.text and "全省每个县区均已指定定点医疗机构" in page.text
    assert "姑苏区人民医院" in page.text and 'action="/victims/hospitals"' not in page.text
    health = user("gusu.health")
    form = {
        "county_code": "320508",
        "name": "姑苏区第二人民医院",
        "kind": "general",
        "designated_on": str(today_in_beijing()),
    }
    assert health.post("/victims/hospitals", data=form, follow_redirects=False).status_code == 303
    again = health.post("/victims/hospitals", data=form, follow_redirects=False)
    assert again.status_code == 409 and "该医院已在名录中" in again.text
    outside = health.post(
        "/victims/hospitals", data=dict(form, county_code="320506"), follow_redirects=False
    )
    assert (
        outside.status_code == 422
        and _error_beside(outside.text, "county_code") == "该县区不在您的辖区内。"
    )
    assert (
        user("gusu.edu").post("/victims/hospitals", data=form, follow_redirects=False).status_code
        == 403
    )


def test_withdrawing_the_only_hospital_of_a_county_shows_the_gap(user, session) -> None:  # type: ignore[no-untyped-def]
    health = user("gusu.health")
    registry = health.get("/api/victims/hospitals", params={"county": "320508"}).json()["items"]
    for h in registry:
        r = health.post(f"/victims/hospitals/{h['id']}/withdraw", follow_redirects=False)
        assert r.status_code == 303
    page = health.get("/victims/hospitals").text
    assert "尚未指定定点医疗机构的县区（1个）" in page and "苏州市姑苏区" in page
    assert "320508" in health.get("/api/victims/hospitals").json()["counties_without"]


def test_the_office_reads_the_de_identified_statistics(user) -> None:  # type: ignore[no-untyped-def]
    page = user("jiangsu.office").get("/victims/stats")
    assert page.status_code == 200
    assert "去标识化" in page.text and "typeOfExploitConcatenated" in page.text
    assert "人数少于10的组合不显示" in page.text
    assert user("gusu.civil").get("/victims/stats").status_code == 403


def test_every_page_of_the_module_answers_in_chinese_for_its_people(user, session) -> None:  # type: ignore[no-untyped-def]
    file_id = (
        session.execute(
            select(VictimFile.public_id).where(
                VictimFile.county_code == "320508", VictimFile.status == "open"
            )
        )
        .scalars()
        .first()
    )
    for persona, path in (
        ("gusu.civil", "/victims"),
        ("gusu.civil", f"/victims/{file_id}"),
        ("gusu.police", f"/victims/{file_id}"),
        ("gusu.health", "/victims/sector"),
        ("gusu.hr", "/victims/sector"),
        ("gusu.health", f"/victims/sector/{file_id}"),
        ("jiangsu.office", "/victims/stats"),
    ):
        r = user(persona).get(path)
        assert r.status_code == 200, (persona, path, r.text[:300])
        assert "victims." not in r.text.replace("/victims", ""), (persona, path)
