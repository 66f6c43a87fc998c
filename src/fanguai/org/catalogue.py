"""The 30 member units of the provincial joint conference (plan 三(一)) and their counterparts.

Each member unit has a department line and name patterns for its city and county counterparts.
A pattern of ``None`` means there is no counterpart at that level (for example the provincial
communications administration has no city or county office).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberUnit:
    """A member unit as the plan names it, with its department line and counterparts."""

    name: str  # exactly as written in the plan
    abbr: str  # unit code suffix: <division code>-<abbr>
    department: str  # department line code
    city: str | None  # name pattern at city level; "{d}" is the city's name without 市
    county: str | None  # name pattern at county level; "{d}" is the county's full name


DEPARTMENTS: dict[str, str] = {
    "party": "党委部门",
    "people_congress": "人大",
    "development": "发展改革",
    "education": "教育",
    "police": "公安",
    "civil_affairs": "民政",
    "justice": "司法行政",
    "finance": "财政",
    "hr": "人力资源社会保障",
    "housing": "住房城乡建设",
    "transport": "交通运输",
    "agriculture": "农业农村",
    "commerce": "商务",
    "culture": "文化和旅游",
    "health": "卫生健康",
    "foreign_affairs": "外事",
    "market": "市场监管",
    "broadcast": "广电",
    "petitions": "信访",
    "communications": "通信管理",
    "court": "法院",
    "procuratorate": "检察",
    "trade_union": "工会",
    "youth_league": "共青团",
    "women": "妇联",
    "disabled": "残联",
    "elders": "关工委",
    "women_children": "妇儿工委",
    "joint_conference": "反拐联席会议办公室",
}

MEMBER_UNITS: tuple[MemberUnit, ...] = (
    MemberUnit("省委宣传部", "XCB", "party", "{d}市委宣传部", "{d}委宣传部"),
    MemberUnit("省委政法委", "ZFW", "party", "{d}市委政法委", "{d}委政法委"),
    MemberUnit("省委网信办", "WXB", "party", "{d}市委网信办", "{d}委网信办"),
    MemberUnit("省人大常委会法工委", "FGW", "people_congress", "{d}市人大常委会法工委", None),
    MemberUnit("省发展改革委", "FGG", "development", "{d}市发展改革委", "{d}发展改革局"),
    MemberUnit("省教育厅", "JY", "education", "{d}市教育局", "{d}教育局"),
    MemberUnit("省公安厅", "GA", "police", "{d}市公安局", "{d}公安局"),
    MemberUnit("省民政厅", "MZ", "civil_affairs", "{d}市民政局", "{d}民政局"),
    MemberUnit("省司法厅", "SF", "justice", "{d}市司法局", "{d}司法局"),
    MemberUnit("省财政厅", "CZ", "finance", "{d}市财政局", "{d}财政局"),
    MemberUnit(
        "省人力资源社会保障厅", "RS", "hr", "{d}市人力资源社会保障局", "{d}人力资源社会保障局"
    ),
    MemberUnit("省住房城乡建设厅", "ZJ", "housing", "{d}市住房城乡建设局", "{d}住房城乡建设局"),
    MemberUnit("省交通运输厅", "JT", "transport", "{d}市交通运输局", "{d}交通运输局"),
    MemberUnit("省农业农村厅", "NY", "agriculture", "{d}市农业农村局", "{d}农业农村局"),
    MemberUnit("省商务厅", "SW", "commerce", "{d}市商务局", "{d}商务局"),
    MemberUnit("省文化和旅游厅", "WL", "culture", "{d}市文化广电和旅游局", "{d}文化广电和旅游局"),
    MemberUnit("省卫生健康委", "WJ", "health", "{d}市卫生健康委", "{d}卫生健康委"),
    MemberUnit("省外办", "WB", "foreign_affairs", "{d}市外办", None),
    MemberUnit("省市场监管局", "SJ", "market", "{d}市市场监管局", "{d}市场监管局"),
    MemberUnit("省广电局", "GD", "broadcast", None, None),
    MemberUnit("省信访局", "XF", "petitions", "{d}市信访局", "{d}信访局"),
    MemberUnit("省通信管理局", "TX", "communications", None, None),
    MemberUnit("省法院", "FY", "court", "{d}市中级人民法院", "{d}人民法院"),
    MemberUnit("省检察院", "JC", "procuratorate", "{d}市人民检察院", "{d}人民检察院"),
    MemberUnit("省总工会", "ZGH", "trade_union", "{d}市总工会", "{d}总工会"),
    MemberUnit("团省委", "TW", "youth_league", "共青团{d}市委", "共青团{d}委"),
    MemberUnit("省妇联", "FL", "women", "{d}市妇联", "{d}妇联"),
    MemberUnit("省残联", "CL", "disabled", "{d}市残联", "{d}残联"),
    MemberUnit("省关工委", "GGW", "elders", "{d}市关工委", "{d}关工委"),
    MemberUnit(
        "省政府妇儿工委办公室",
        "FEW",
        "women_children",
        "{d}市政府妇儿工委办公室",
        "{d}政府妇儿工委办公室",
    ),
)

OFFICE_ABBR = "FGB"
OFFICE_NAMES = {
    "province": "省反对拐卖人口联席会议办公室",
    "city": "{d}市反对拐卖人口联席会议办公室",
    "county": "{d}反对拐卖人口联席会议办公室",
}

MEMBER_BY_NAME: dict[str, MemberUnit] = {m.name: m for m in MEMBER_UNITS}
