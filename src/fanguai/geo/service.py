"""Jiangsu administrative divisions: lookup, point location and distances.

Pure Python over the package data files written by ``scripts/build_divisions.py``; the files are
read once, on first use. Coordinates are CGCS2000 / WGS84 latitude and longitude in degrees.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from fanguai.errors import InvalidInput, NotFound

__all__ = [
    "EARTH_RADIUS_KM",
    "LEVELS",
    "PROVINCE_CODE",
    "Division",
    "InvalidCoordinates",
    "Location",
    "NearbyDivision",
    "OutsideJiangsu",
    "UnknownDivision",
    "children",
    "city_of",
    "distance_km",
    "divisions",
    "divisions_within",
    "get_division",
    "locate",
    "map_names",
    "nearby_divisions",
    "successor_code",
]

PROVINCE_CODE = "320000"
LEVELS = ("province", "city", "county")
# IUGG mean Earth radius.
EARTH_RADIUS_KM = 6371.0088


class UnknownDivision(NotFound):
    """The code names no current (or, where accepted, retired) Jiangsu division."""

    def __init__(self, code: object, *, detail: str | None = None) -> None:
        message = f"unknown division code {code!r}"
        super().__init__(f"{message}: {detail}" if detail else message, field="code")
        self.division_code = code


class InvalidCoordinates(InvalidInput):
    """Latitude or longitude is not a finite number in range."""


class OutsideJiangsu(InvalidInput):
    """The point is valid but lies in no Jiangsu county."""

    def __init__(self, lat: float, lng: float) -> None:
        super().__init__(f"point (lat {lat}, lng {lng}) lies outside Jiangsu province")
        self.lat = lat
        self.lng = lng


@dataclass(frozen=True)
class Division:
    """A province, city (prefecture) or county-level division with a label point inside it."""

    code: str
    name: str
    level: str
    parent: str | None
    lat: float
    lng: float


@dataclass(frozen=True)
class Location:
    """The county and city that contain a point."""

    county: Division
    city: Division


@dataclass(frozen=True)
class NearbyDivision:
    """A division and its shortest distance from a query point (0 when the point is inside)."""

    division: Division
    distance_km: float


@dataclass(frozen=True)
class _Catalog:
    by_code: dict[str, Division]
    ordered: tuple[Division, ...]
    children: dict[str, tuple[Division, ...]]


@dataclass(frozen=True)
class _Geometry:
    codes: tuple[str, ...]
    polygons: np.ndarray
    tree: STRtree


def _read(name: str) -> Any:
    return json.loads(files("fanguai.geo").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def _catalog() -> _Catalog:
    items = [Division(**item) for item in _read("divisions.json")]
    ordered = tuple(sorted(items, key=lambda d: d.code))
    by_code = {d.code: d for d in ordered}
    kids: dict[str, list[Division]] = {d.code: [] for d in ordered}
    for d in ordered:
        if d.parent is not None:
            kids[d.parent].append(d)
    return _Catalog(by_code, ordered, {code: tuple(v) for code, v in kids.items()})


@cache
def _geometry() -> _Geometry:
    features = sorted(_read("counties.geojson")["features"], key=lambda f: f["properties"]["code"])
    codes = tuple(f["properties"]["code"] for f in features)
    polygons = np.array([shape(f["geometry"]) for f in features], dtype=object)
    # Prepared in place: repeated point-in-polygon tests then reuse the built edge index.
    shapely.prepare(polygons)
    return _Geometry(codes, polygons, STRtree(polygons))


@cache
def _retired() -> dict[str, dict[str, Any]]:
    return _read("retired_codes.json")


@cache
def _map_names() -> dict[str, str]:
    features = _read("jiangsu-map.geojson")["features"]
    return {f["properties"]["code"]: f["properties"]["name"] for f in features}


def _check_level(level: str | None) -> None:
    if level is not None and level not in LEVELS:
        raise InvalidInput(
            f"unknown division level {level!r}; expected one of {', '.join(LEVELS)}",
            field="level",
        )


def _check_point(lat: float, lng: float) -> tuple[float, float]:
    for field, value, limit in (("lat", lat, 90.0), ("lng", lng, 180.0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidCoordinates(f"{field} must be a number, got {value!r}", field=field)
        if not math.isfinite(value):
            raise InvalidCoordinates(f"{field} must be a finite number, got {value!r}", field=field)
        if not -limit <= value <= limit:
            raise InvalidCoordinates(
                f"{field} {value!r} is out of range [-{limit:g}, {limit:g}]", field=field
            )
    return float(lat), float(lng)


def divisions(level: str | None = None) -> list[Division]:
    """All divisions ordered by code, optionally only those of one level."""
    _check_level(level)
    return [d for d in _catalog().ordered if level is None or d.level == level]


def get_division(code: str) -> Division:
    """The current division with this 6-digit code."""
    found = _catalog().by_code.get(code) if isinstance(code, str) else None
    if found is None:
        retired = _retired().get(code) if isinstance(code, str) else None
        if retired is not None:
            raise UnknownDivision(
                code,
                detail=f"{retired['name']} was retired in {retired['year']}, "
                f"its successor is {retired['successor']}",
            )
        raise UnknownDivision(code)
    return found


def children(code: str) -> list[Division]:
    """The divisions directly below this one, ordered by code (empty for a county)."""
    get_division(code)
    return list(_catalog().children[code])


def city_of(code: str) -> Division:
    """The city a county belongs to; a city is its own city."""
    division = get_division(code)
    if division.level == "province":
        raise InvalidInput(
            f"division {code} {division.name} is the province and belongs to no city", field="code"
        )
    if division.level == "city":
        return division
    return get_division(division.parent or "")


def locate(lat: float, lng: float) -> Location:
    """The county and city containing the point; on a shared border the lower code wins."""
    lat, lng = _check_point(lat, lng)
    geometry = _geometry()
    point = shapely.Point(lng, lat)
    candidates = geometry.tree.query(point)
    hits = [int(i) for i in candidates if shapely.covers(geometry.polygons[i], point)]
    if not hits:
        raise OutsideJiangsu(lat, lng)
    county = get_division(geometry.codes[min(hits)])
    return Location(county=county, city=city_of(county.code))


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in km on a sphere of radius EARTH_RADIUS_KM."""
    lat1, lng1 = _check_point(lat1, lng1)
    lat2, lng2 = _check_point(lat2, lng2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _azimuthal_equidistant(lat: float, lng: float, lnglat: np.ndarray) -> np.ndarray:
    """Project (lng, lat) rows onto a plane in km where distances from (lat, lng) are exact."""
    phi0, lmb0 = math.radians(lat), math.radians(lng)
    phi = np.radians(lnglat[:, 1])
    dlmb = np.radians(lnglat[:, 0]) - lmb0
    a = np.sin((phi - phi0) / 2) ** 2 + math.cos(phi0) * np.cos(phi) * np.sin(dlmb / 2) ** 2
    rho = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    theta = np.arctan2(
        np.sin(dlmb) * np.cos(phi),
        math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(dlmb),
    )
    return np.column_stack((rho * np.sin(theta), rho * np.cos(theta)))


def nearby_divisions(
    lat: float, lng: float, radius_km: float, *, level: str = "county"
) -> list[NearbyDivision]:
    """Divisions of ``level`` whose area comes within ``radius_km`` of the point, nearest first."""
    lat, lng = _check_point(lat, lng)
    _check_level(level)
    if (
        isinstance(radius_km, bool)
        or not isinstance(radius_km, numbers.Real)
        or not math.isfinite(radius_km)
        or radius_km < 0
    ):
        raise InvalidInput(
            f"radius_km must be a finite number >= 0, got {radius_km!r}", field="radius_km"
        )
    geometry = _geometry()
    # Azimuthal equidistant projection centred on the query point: vertex distances are exact
    # great-circle distances, only the straight edges between vertices (at most a few km long)
    # deviate from the great circle, by far less than the boundaries' own accuracy.
    projected = shapely.transform(
        geometry.polygons, lambda lnglat: _azimuthal_equidistant(lat, lng, lnglat)
    )
    distances = shapely.distance(projected, shapely.Point(0.0, 0.0))
    inside = shapely.covers(geometry.polygons, shapely.Point(lng, lat))
    # The projected distance of a covering polygon is already 0 except on rounding at the edge.
    distances = np.where(inside, 0.0, distances)

    best: dict[str, float] = {}
    for code, km in zip(geometry.codes, distances, strict=True):
        county = get_division(code)
        key = {"county": code, "city": county.parent, "province": PROVINCE_CODE}[level]
        best[key] = min(best.get(key, math.inf), float(km))
    hits = [(km, code) for code, km in best.items() if km <= radius_km]
    return [NearbyDivision(get_division(code), km) for km, code in sorted(hits)]


def divisions_within(
    lat: float, lng: float, radius_km: float, *, level: str = "county"
) -> list[Division]:
    """Divisions of ``level`` whose area comes within ``radius_km`` of the point, nearest first."""
    return [n.division for n in nearby_divisions(lat, lng, radius_km, level=level)]


def successor_code(code: str) -> str:
    """The current code for a retired county code; a current code maps to itself."""
    if isinstance(code, str) and code in _catalog().by_code:
        return code
    retired = _retired()
    seen: set[str] = set()
    current = code
    # Follow chains (a successor that was itself retired later) without looping forever.
    while isinstance(current, str) and current in retired and current not in seen:
        seen.add(current)
        current = retired[current]["successor"]
    if not seen or current not in _catalog().by_code:
        raise UnknownDivision(code)
    return current


def map_names() -> dict[str, str]:
    """County code to its unique region name in ``jiangsu-map.geojson`` (for ECharts series)."""
    return dict(_map_names())
