"""Local implementing rules: provincial measures adopted for the level, local measures added."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from fanguai.accountability import actions, local_rules, service
from fanguai.accountability.models import LocalRules, ProgressReport
from fanguai.errors import Conflict, InvalidInput
from fanguai.plan import load_bundled_plan
from tests.accountability.helpers import actor, unit


def test_adopted_measures_are_led_by_the_counterparts_at_that_level(session) -> None:  # type: ignore[no-untyped-def]
    rules = local_rules.adopt_rules(
        session,
        actor=actor(session, "jiangsu.office"),
        division_code="320506",
        title="吴中区实施细则",
    )
    by_code = {m.code: m for m in rules.measures}
    plan = {m.code: m for m in load_bundled_plan().measures}
    # 二(一)3(1) is 省民政厅's alone: 吴中区民政局 leads it there.
    leads = [u.unit.code for u in by_code["二(一)3(1)"].units if u.role == "lead"]
    assert leads == ["320506-MZ"]
    assert by_code["二(一)3(1)"].text == plan["二(一)3(1)"].text
    # A measure led only by units without a county counterpart (省通信管理局, 省广电局...) is skipped.
    for m in rules.measures:
        assert all(u.unit.division_code == "320506" for u in m.units)
    led_by_absent = [
        code
        for code, m in plan.items()
        if m.lead_units
        and all(
            u in ("省通信管理局", "省广电局", "省外办", "省人大常委会法工委") for u in m.lead_units
        )
    ]
    assert all(code not in by_code for code in led_by_absent)


def test_a_local_measure_gets_a_local_code_and_its_own_lead(session) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    rules = session.execute(
        select(LocalRules).where(LocalRules.division_code == "320508")
    ).scalar_one()
    m = local_rules.add_local_measure(
        session,
        actor=office,
        rules_public_id=rules.public_id,
        section_code="二(四)",
        text="在姑苏区各景区游客服务中心设置反拐宣传点，节假日开展集中宣传。",
        lead_unit_codes=["320508-WL"],
        cooperating_unit_codes=["320508-GA", "320508-WL"],
    )
    assert m.code == "二(四)本地1" and m.source_measure_id is None
    assert [(u.unit.code, u.role) for u in m.units] == [
        ("320508-WL", "lead"),
        ("320508-GA", "cooperating"),
    ]
    last_of_section = max(
        x.ordinal for x in rules.measures[0].source.version.measures if x.code.startswith("二(四)")
    )
    assert last_of_section * 1000 < m.sort_key < (last_of_section + 1) * 1000
    # The next cycle asks 姑苏区文化广电和旅游局 for a report on it.
    cycle = actions.open_cycle(
        session,
        actor=office,
        name="2027年全年（本地措施测试）",
        kind="year",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        due_at=datetime(2028, 1, 15, tzinfo=UTC),
        track=False,
    )
    report = session.execute(
        select(ProgressReport).where(
            ProgressReport.cycle_id == cycle.id, ProgressReport.measure_code == "二(四)本地1"
        )
    ).scalar_one()
    assert report.unit.code == "320508-WL" and report.local_measure_id is not None
    assert [c.unit.code for c in report.contributions] == ["320508-GA"]
    assert service.measure_text(report).startswith("在姑苏区各景区")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"section_code": "三(一)"}, "section"),
        ({"text": "短"}, "text"),
        ({"lead_unit_codes": []}, "lead_units"),
        ({"lead_unit_codes": ["320506-GA"]}, "lead_units"),  # 吴中区's unit in 姑苏区's rules
        ({"cooperating_unit_codes": ["320000-MZ"]}, "cooperating_units"),
    ],
)
def test_a_bad_local_measure_names_the_field(session, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    rules = session.execute(
        select(LocalRules).where(LocalRules.division_code == "320508")
    ).scalar_one()
    args = {
        "section_code": "二(四)",
        "text": "在姑苏区各景区游客服务中心设置反拐宣传点。",
        "lead_unit_codes": ["320508-WL"],
        "cooperating_unit_codes": [],
    }
    with pytest.raises(InvalidInput) as err:
        local_rules.add_local_measure(
            session,
            actor=actor(session, "jiangsu.office"),
            rules_public_id=rules.public_id,
            **{**args, **kwargs},
        )
    assert err.value.field == field


def test_rules_are_adopted_once_per_city_or_county(session) -> None:  # type: ignore[no-untyped-def]
    office = actor(session, "jiangsu.office")
    with pytest.raises(Conflict):
        local_rules.adopt_rules(session, actor=office, division_code="320508", title="再来一次")
    with pytest.raises(InvalidInput) as err:
        local_rules.adopt_rules(session, actor=office, division_code="320000", title="省级")
    assert err.value.field == "division"
    with pytest.raises(InvalidInput) as err:
        local_rules.adopt_rules(
            session, actor=office, division_code="320506", title="部分", measure_codes=["二(九)9"]
        )
    assert err.value.field == "measures"


def test_the_rules_page_adopts_and_shows_the_measures(login, session) -> None:  # type: ignore[no-untyped-def]
    office = login("jiangsu.office")
    r = office.post(
        "/progress/local-rules",
        data={"division": "320583", "title": "昆山市反拐工作实施细则"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = office.get(r.headers["location"])
    assert "昆山市反拐工作实施细则" in page.text and "昆山市民政局" in page.text
    assert unit(session, "320583-MZ").level == "county"
