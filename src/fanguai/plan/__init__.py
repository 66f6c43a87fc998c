"""The anti-trafficking action plan: the Jiangsu implementation opinions and their measures."""

from fanguai.plan.parser import (
    ALL_MEMBER_UNITS_PHRASE,
    BUNDLED_PLAN_NAME,
    ParsedMeasure,
    ParsedPlan,
    PlanParseError,
    load_bundled_plan,
    parse_plan,
)

__all__ = [
    "ALL_MEMBER_UNITS_PHRASE",
    "BUNDLED_PLAN_NAME",
    "ParsedMeasure",
    "ParsedPlan",
    "PlanParseError",
    "load_bundled_plan",
    "parse_plan",
]
