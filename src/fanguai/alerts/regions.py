"""Where a ring reaches: inside China at all, beyond Jiangsu, into which provinces.

Jiangsu's outline is the union of the exact county boundaries that ``fanguai.geo`` ships; China's
is a coarse hand-drawn outline (``data/china_outline.json``) used only to refuse places that are
plainly outside the country.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, shape

from fanguai.alerts.spatial import haversine_km
from fanguai.geo.service import EARTH_RADIUS_KM

# Provinces named in a hand-off also include those whose nearest city seat lies this far beyond
# the ring: a ring that just crosses a border reaches towns well before the seat.
HANDOFF_MARGIN_KM = 60.0


def _data(name: str) -> Any:
    return json.loads(files("fanguai.alerts").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def _china() -> shapely.Geometry:
    outline = _data("china_outline.json")
    shapes = shapely.union_all([shapely.make_valid(Polygon(p)) for p in outline["polygons"]])
    return shapes.buffer(outline["tolerance_deg"])


@cache
def _jiangsu() -> shapely.Geometry:
    text = files("fanguai.geo").joinpath("data", "counties.geojson").read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    return shapely.union_all([shape(f["geometry"]) for f in features])


def in_china(lat: float, lng: float) -> bool:
    """Whether the point lies in China (coarse outside Jiangsu; see the module docstring)."""
    point = shapely.Point(lng, lat)
    return bool(_jiangsu().covers(point) or _china().covers(point))


def _project(lat: float, lng: float):  # type: ignore[no-untyped-def]
    """Azimuthal equidistant projection (km) centred on the point: rings become circles."""
    phi0, lmb0 = math.radians(lat), math.radians(lng)

    def transform(lnglat: np.ndarray) -> np.ndarray:
        phi = np.radians(lnglat[:, 1])
        dlmb = np.radians(lnglat[:, 0]) - lmb0
        rho = haversine_km(lat, lng, lnglat[:, 1], lnglat[:, 0])
        theta = np.arctan2(
            np.sin(dlmb) * np.cos(phi),
            math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(dlmb),
        )
        return np.column_stack((rho * np.sin(theta), rho * np.cos(theta)))

    return transform


def leaves_jiangsu(lat: float, lng: float, radius_km: float) -> bool:
    """Whether any part of the ring lies outside Jiangsu (over land or sea)."""
    projected = shapely.transform(_jiangsu(), _project(lat, lng))
    disk = shapely.Point(0.0, 0.0).buffer(radius_km, quad_segs=64)
    return not bool(projected.covers(disk))


@dataclass(frozen=True)
class Province:
    """A province a ring reaches, and its city seats inside the ring (plus the margin)."""

    code: str
    name: str
    cities: tuple[str, ...]


def provinces_reached(lat: float, lng: float, radius_km: float) -> list[Province]:
    """Neighbouring provinces whose city seats lie within the ring plus ``HANDOFF_MARGIN_KM``."""
    found = []
    for code, province in _data("neighbour_cities.json")["provinces"].items():
        names = [c[0] for c in province["cities"]]
        lats = np.array([c[1] for c in province["cities"]])
        lngs = np.array([c[2] for c in province["cities"]])
        near = haversine_km(lat, lng, lats, lngs) <= radius_km + HANDOFF_MARGIN_KM
        if near.any():
            found.append(
                Province(
                    code, province["name"], tuple(n for n, k in zip(names, near, strict=True) if k)
                )
            )
    return found


def circle_lnglat(lat: float, lng: float, radius_km: float, points: int = 96) -> list[list[float]]:
    """The ring's outline as [lng, lat] pairs (for drawing on the map)."""
    delta = radius_km / EARTH_RADIUS_KM
    phi1, lmb1 = math.radians(lat), math.radians(lng)
    out = []
    for i in range(points + 1):
        bearing = 2 * math.pi * i / points
        phi2 = math.asin(
            math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing)
        )
        lmb2 = lmb1 + math.atan2(
            math.sin(bearing) * math.sin(delta) * math.cos(phi1),
            math.cos(delta) - math.sin(phi1) * math.sin(phi2),
        )
        out.append([round(math.degrees(lmb2), 5), round(math.degrees(phi2), 5)])
    return out
