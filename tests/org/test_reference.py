"""The organisation as reference data: 30 member units at three levels, offices, divisions."""

from __future__ import annotations

from sqlalchemy import func, select

from fanguai.org.catalogue import MEMBER_UNITS
from fanguai.org.models import Division, Unit
from fanguai.plan.parser import load_bundled_plan

# 三(一) of the plan, copied by hand.
MEMBER_LIST = (
    "省委宣传部、省委政法委、省委网信办、省人大常委会法工委、省发展改革委、省教育厅、省公安厅、"
    "省民政厅、省司法厅、省财政厅、省人力资源社会保障厅、省住房城乡建设厅、省交通运输厅、"
    "省农业农村厅、省商务厅、省文化和旅游厅、省卫生健康委、省外办、省市场监管局、省广电局、"
    "省信访局、省通信管理局、省法院、省检察院、省总工会、团省委、省妇联、省残联、省关工委、"
    "省政府妇儿工委办公室"
).split("、")


def test_the_provincial_member_units_are_the_thirty_the_plan_lists(session) -> None:  # type: ignore[no-untyped-def]
    names = (
        session.execute(
            select(Unit.name).where(Unit.level == "province", Unit.is_member).order_by(Unit.ordinal)
        )
        .scalars()
        .all()
    )
    assert names == MEMBER_LIST
    assert [m.name for m in MEMBER_UNITS] == MEMBER_LIST
    assert list(load_bundled_plan().member_units) == MEMBER_LIST


def test_every_level_has_a_joint_conference_office(session) -> None:  # type: ignore[no-untyped-def]
    offices = session.execute(select(Unit.division_code).where(Unit.is_office)).scalars().all()
    assert len(offices) == 1 + 13 + 95 and len(set(offices)) == len(offices)
    office = session.execute(select(Unit).where(Unit.code == "320000-FGB")).scalar_one()
    assert office.name == "省反对拐卖人口联席会议办公室"


def test_every_city_and_county_has_police_and_civil_affairs_counterparts(session) -> None:  # type: ignore[no-untyped-def]
    for abbr in ("GA", "MZ", "JY", "WJ"):
        n = session.execute(
            select(func.count())
            .select_from(Unit)
            .where(Unit.code.like(f"%-{abbr}"), Unit.level != "province")
        ).scalar_one()
        assert n == 13 + 95, abbr
    gusu = session.execute(select(Unit).where(Unit.code == "320508-GA")).scalar_one()
    assert gusu.name == "苏州市姑苏区公安局" and gusu.parent.name == "省公安厅"
    assert gusu.department == "police" and gusu.level == "county"
    jiangyin = session.execute(select(Unit).where(Unit.code == "320281-GA")).scalar_one()
    assert jiangyin.name == "江阴市公安局"


def test_divisions_are_copied_with_their_hierarchy(session) -> None:  # type: ignore[no-untyped-def]
    levels = dict(
        session.execute(select(Division.level, func.count()).group_by(Division.level)).all()
    )
    assert levels == {"province": 1, "city": 13, "county": 95}
    haimen = session.get(Division, "320614")
    assert (haimen.name, haimen.parent_code, haimen.full_name) == (
        "海门区",
        "320600",
        "南通市海门区",
    )
