"""Which divisions an actor's jurisdiction covers, and the SQL twins of those rules.

Codes are GB/T 2260: ``32`` + city (2 digits) + county (2 digits). A province-level unit's
jurisdiction is the whole province, a city's is its counties, a county's is itself. Lists and
single objects use the same rule; what falls outside answers "not found".
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_

from fanguai.core.actor import Actor


def jurisdiction_prefix(division_code: str, level: str) -> str:
    """The code prefix shared by every division inside a jurisdiction."""
    if level == "province":
        return division_code[:2]
    if level == "city":
        return division_code[:4]
    return division_code


def ancestors(division_code: str) -> tuple[str, ...]:
    """The province and city codes above a division (excluding itself)."""
    province = division_code[:2] + "0000"
    city = division_code[:4] + "00"
    return tuple(c for c in (province, city) if c != division_code)


def covers(actor: Actor, division_code: str) -> bool:
    """Whether ``division_code`` lies inside the actor's jurisdiction."""
    if actor.division_code is None or actor.level is None:
        return False
    return division_code.startswith(jurisdiction_prefix(actor.division_code, actor.level))


def sees_unit_at(actor: Actor, division_code: str) -> bool:
    """Units are visible inside the jurisdiction and at the levels above it (not beside it)."""
    if actor.division_code is None:
        return False
    return covers(actor, division_code) or division_code in ancestors(actor.division_code)


def covers_clause(actor: Actor, column: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL twin of ``covers``."""
    if actor.division_code is None or actor.level is None:
        return false()
    prefix = jurisdiction_prefix(actor.division_code, actor.level)
    return column.startswith(prefix, autoescape=True) if len(prefix) < 6 else column == prefix


def sees_unit_clause(actor: Actor, column: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL twin of ``sees_unit_at``."""
    if actor.division_code is None:
        return false()
    ups = ancestors(actor.division_code)
    if not ups:
        return covers_clause(actor, column)
    return or_(covers_clause(actor, column), column.in_(ups))
