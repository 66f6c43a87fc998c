"""Where a lead goes: place → county (geo service) → the unit of the responsible line there."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai import geo
from fanguai.errors import InvalidInput
from fanguai.leads import catalogue
from fanguai.org.models import Unit
from fanguai.org.service import unit_above


def county_from_point(lat: float, lng: float) -> str:
    """The county containing the point; outside Jiangsu is refused on ``lat``."""
    try:
        return geo.locate(lat, lng).county.code
    except geo.OutsideJiangsu:
        raise InvalidInput(
            "the place lies outside Jiangsu province; choose the county instead", field="lat"
        ) from None


def county_from_code(code: str) -> str:
    """A current county code (a retired one maps to its successor); else refused."""
    try:
        current = geo.successor_code(code)
        division = geo.get_division(current)
    except geo.UnknownDivision:
        raise InvalidInput(f"unknown county code {code!r}", field="county_code") from None
    if division.level != "county":
        raise InvalidInput(
            f"{code} {division.name} is not a county-level division", field="county_code"
        )
    return division.code


def county_from_text(text: str) -> str | None:
    """The one county a free-text place names, if exactly one fits (e.g. 苏州市姑苏区观前街)."""
    counties = geo.divisions("county")
    cities = {d.code: d for d in geo.divisions("city")}
    named = [c for c in counties if c.name in text]
    if len(named) > 1:
        # Two 鼓楼区 (Nanjing, Xuzhou): the city named in the text decides.
        in_city = [c for c in named if c.parent and cities[c.parent].name in text]
        named = in_city or named
        longest = max(len(c.name) for c in named)
        named = [c for c in named if len(c.name) == longest]
    return named[0].code if len(named) == 1 else None


def resolve_county(
    *,
    county_code: str | None,
    lat: float | None,
    lng: float | None,
    place_text: str | None,
) -> str:
    """The county a lead belongs to: the point if given, else the code, else the text."""
    if lat is not None and lng is not None:
        return county_from_point(lat, lng)
    if county_code:
        return county_from_code(county_code)
    if place_text:
        found = county_from_text(place_text)
        if found is not None:
            return found
        raise InvalidInput(
            "the place names no county of Jiangsu that can be told apart; choose the county",
            field="county_code",
        )
    raise InvalidInput("say where it happened: choose the county", field="county_code")


def unit_for(session: Session, county_code: str, department: str) -> Unit:
    """The department line's unit of the county, or the nearest one above it."""
    abbr = catalogue.UNIT_ABBR[department]
    for code in (f"{county_code}-{abbr}", f"{county_code[:4]}00-{abbr}", f"320000-{abbr}"):
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        if unit is not None:
            return unit
    raise InvalidInput(f"no unit of line {department} for county {county_code}", field="unit_code")


def unit_by_code(session: Session, code: str) -> Unit:
    """A transfer target: a unit of a line that handles leads."""
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None or unit.department not in catalogue.TRANSFER_DEPARTMENTS:
        raise InvalidInput(f"no unit {code!r} that takes leads", field="unit_code")
    return unit


def escalation_target(session: Session, unit: Unit) -> Unit | None:
    """The unit an overdue acknowledgement escalates to (the line one level up)."""
    return unit_above(session, unit)


def ack_deadline(urgency: str, *, start: datetime) -> datetime:
    """When a unit must have acknowledged a lead that reached it at ``start``."""
    return start + timedelta(minutes=catalogue.ack_minutes(urgency))
