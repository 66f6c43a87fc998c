"""County codes to label points, from the Jiangsu division data of ``fanguai.geo`` (no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from fanguai.geo import service as geo

__all__ = ["County", "county", "county_distance_km"]

_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class County:
    """A current county-level division and the point that stands for it."""

    code: str
    name: str
    city: str
    lat: float
    lng: float


@lru_cache(maxsize=1024)
def county(code: str) -> County:
    """The current county for a county code; a code retired since 2000 maps to its successor.

    Raises ``ValueError`` with a short reason for anything that is not a Jiangsu county code.
    """
    if not _CODE.fullmatch(code):
        raise ValueError(f"{code!r} is not a 6-digit division code")
    try:
        division = geo.get_division(geo.successor_code(code))
    except geo.UnknownDivision:
        raise ValueError(f"unknown place code {code!r} (not a Jiangsu county)") from None
    if division.level != "county":
        raise ValueError(
            f"place code {code!r} is the {division.level} {division.name}, not a county"
        )
    return County(division.code, division.name, division.parent or "", division.lat, division.lng)


def county_distance_km(a: str, b: str) -> float:
    """Great-circle distance between the label points of two counties."""
    first, second = county(a), county(b)
    return geo.distance_km(first.lat, first.lng, second.lat, second.lng)
