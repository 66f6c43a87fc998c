"""The Jiangsu division catalogue, point location, distances and retired codes."""

from __future__ import annotations

import json
import math
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanguai import geo
from fanguai.errors import InvalidInput, NotFound
from fanguai.geo import (
    Division,
    InvalidCoordinates,
    OutsideJiangsu,
    UnknownDivision,
)

GUSU = (31.326, 120.628)
NANJING_CENTRE = (32.0603, 118.7969)
SUZHOU_CENTRE = (31.2990, 120.5853)


def reference_haversine(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Independent implementation, written from the textbook formula."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * r * math.atan2(math.sqrt(h), math.sqrt(1 - h))


def read_data(name: str):
    return json.loads(files("fanguai.geo").joinpath("data", name).read_text(encoding="utf-8"))


# --- catalogue ---------------------------------------------------------------------------------


def test_it_has_one_province_thirteen_cities_and_ninety_five_counties():
    assert len(geo.divisions()) == 109
    assert [d.code for d in geo.divisions("province")] == ["320000"]
    assert len(geo.divisions("city")) == 13
    assert len(geo.divisions(level="county")) == 95


def test_every_city_belongs_to_the_province_and_every_county_to_a_city():
    for city in geo.divisions("city"):
        assert city.parent == "320000"
        assert city.code.endswith("00")
    for county in geo.divisions("county"):
        parent = geo.get_division(county.parent)
        assert parent.level == "city"
        assert county.code[:4] == parent.code[:4]
    assert geo.get_division("320000").parent is None


def test_divisions_are_ordered_by_code_and_unique():
    codes = [d.code for d in geo.divisions()]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        ("320614", "海门区", "320600"),
        ("320685", "海安市", "320600"),
        ("320812", "清江浦区", "320800"),
        ("320508", "姑苏区", "320500"),
        ("320213", "梁溪区", "320200"),
        ("320106", "鼓楼区", "320100"),
        ("320302", "鼓楼区", "320300"),
    ],
)
def test_it_knows_the_current_codes(code, name, parent):
    division = geo.get_division(code)
    assert (division.name, division.level, division.parent) == (name, "county", parent)


def test_retired_codes_are_not_current_divisions():
    for code in ("320602", "320611", "320684", "320621", "320802", "320811", "320584"):
        with pytest.raises(UnknownDivision):
            geo.get_division(code)


def test_an_unknown_code_raises_a_not_found_error_naming_the_code():
    with pytest.raises(UnknownDivision) as caught:
        geo.get_division("999999")
    assert isinstance(caught.value, NotFound)
    assert caught.value.field == "code"
    assert "'999999'" in caught.value.message


def test_looking_up_a_retired_code_names_its_successor():
    with pytest.raises(UnknownDivision, match="320614"):
        geo.get_division("320684")


def test_an_unknown_level_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        geo.divisions("town")
    assert caught.value.field == "level"


def test_children_of_the_province_are_the_cities():
    assert geo.children("320000") == geo.divisions("city")


def test_children_of_suzhou_are_its_nine_counties():
    kids = geo.children("320500")
    assert [
        d.name for d in kids
    ] == "虎丘区 吴中区 相城区 姑苏区 吴江区 常熟市 张家港市 昆山市 太仓市".split()


def test_a_county_has_no_children():
    assert geo.children("320508") == []


def test_city_of_a_county_is_its_parent_and_a_city_is_its_own_city():
    assert geo.city_of("320614").code == "320600"
    assert geo.city_of("320600").code == "320600"
    with pytest.raises(InvalidInput):
        geo.city_of("320000")
    with pytest.raises(UnknownDivision):
        geo.city_of("110101")


def test_divisions_are_immutable_values():
    division = geo.get_division("320508")
    with pytest.raises(AttributeError):
        division.name = "x"  # type: ignore[misc]
    assert division == Division("320508", "姑苏区", "county", "320500", division.lat, division.lng)


# --- locate ------------------------------------------------------------------------------------


def test_it_locates_gusu_district():
    found = geo.locate(*GUSU)
    assert (found.county.code, found.county.name) == ("320508", "姑苏区")
    assert (found.city.code, found.city.name) == ("320500", "苏州市")


def test_every_division_label_point_lies_inside_that_division():
    for division in geo.divisions():
        found = geo.locate(division.lat, division.lng)
        if division.level == "county":
            assert found.county == division
        elif division.level == "city":
            assert found.city == division
        assert found.city.parent == "320000"


def test_a_point_on_a_shared_border_goes_to_the_lower_code():
    features = {f["properties"]["code"]: f for f in read_data("counties.geojson")["features"]}

    def vertices(code):
        polygons = features[code]["geometry"]["coordinates"]
        return {tuple(xy) for polygon in polygons for ring in polygon for xy in ring}

    shared = sorted(vertices("320508") & vertices("320505"))  # 姑苏区 and 虎丘区
    assert shared
    lng, lat = shared[0]
    assert geo.locate(lat, lng).county.code == "320505"
    assert {d.code for d in geo.divisions_within(lat, lng, 0)} >= {"320505", "320508"}


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (39.9, 116.4),  # Beijing
        (31.23, 121.47),  # Shanghai, People's Square
        (30.5, 124.0),  # East China Sea
        (33.5, 122.5),  # Yellow Sea off Yancheng
        (31.86, 117.28),  # Hefei, Anhui
        (-33.9, 151.2),  # Sydney
    ],
)
def test_a_point_outside_jiangsu_is_rejected(lat, lng):
    with pytest.raises(OutsideJiangsu) as caught:
        geo.locate(lat, lng)
    assert caught.value.message == f"point (lat {lat}, lng {lng}) lies outside Jiangsu province"
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [
        (math.nan, 120.0, "lat"),
        (31.0, math.nan, "lng"),
        (math.inf, 120.0, "lat"),
        (91.0, 120.0, "lat"),
        (-90.5, 120.0, "lat"),
        (31.0, 180.01, "lng"),
        (31.0, -181.0, "lng"),
        ("31.3", 120.6, "lat"),
        (True, 120.6, "lat"),
    ],
)
def test_invalid_coordinates_are_rejected_naming_the_field(lat, lng, field):
    with pytest.raises(InvalidCoordinates) as caught:
        geo.locate(lat, lng)
    assert caught.value.field == field
    assert isinstance(caught.value, InvalidInput)


def test_extreme_but_valid_coordinates_are_simply_outside():
    for lat, lng in ((90.0, 180.0), (-90.0, -180.0), (0, 0)):
        with pytest.raises(OutsideJiangsu):
            geo.locate(lat, lng)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    lat=st.floats(min_value=30.7, max_value=35.2),
    lng=st.floats(min_value=116.3, max_value=121.95),
)
def test_locate_agrees_with_a_zero_radius_search(lat, lng):
    nearest = geo.nearby_divisions(lat, lng, 0.0)
    try:
        found = geo.locate(lat, lng)
    except OutsideJiangsu:
        assert nearest == []
    else:
        assert nearest[0].division == found.county
        assert nearest[0].distance_km == 0.0


# --- distances ---------------------------------------------------------------------------------


def test_distance_between_nanjing_and_suzhou_matches_the_haversine_formula():
    expected = reference_haversine(*NANJING_CENTRE, *SUZHOU_CENTRE)
    assert geo.distance_km(*NANJING_CENTRE, *SUZHOU_CENTRE) == pytest.approx(expected, rel=1e-12)
    assert 185 < expected < 200


def test_one_degree_along_the_equator_is_about_111_km():
    assert geo.distance_km(0, 0, 0, 1) == pytest.approx(6371.0088 * math.pi / 180, rel=1e-12)


def test_distance_is_symmetric_and_zero_for_the_same_point():
    assert geo.distance_km(*GUSU, *GUSU) == 0.0
    a = geo.distance_km(*NANJING_CENTRE, 34.26, 117.18)
    b = geo.distance_km(34.26, 117.18, *NANJING_CENTRE)
    assert a == pytest.approx(b, rel=1e-12)


def test_distance_rejects_invalid_coordinates():
    with pytest.raises(InvalidCoordinates):
        geo.distance_km(0, 0, math.nan, 0)


# --- divisions_within --------------------------------------------------------------------------


def test_a_zero_radius_returns_only_the_containing_county():
    assert [d.code for d in geo.divisions_within(*GUSU, 0)] == ["320508"]


def test_a_radius_lists_the_containing_county_first_and_sorts_by_distance():
    nearby = geo.nearby_divisions(*GUSU, 30)
    assert nearby[0].division.code == "320508"
    assert nearby[0].distance_km == 0.0
    distances = [n.distance_km for n in nearby]
    assert distances == sorted(distances)
    assert all(0 <= km <= 30 for km in distances)
    assert {"320505", "320506", "320507"} <= {n.division.code for n in nearby}


def test_within_100_km_of_nanjing_lie_zhenjiang_and_yangzhou_but_not_xuzhou():
    counties = geo.divisions_within(*NANJING_CENTRE, 100)
    cities = {d.parent for d in counties}
    assert {"320100", "321100", "321000"} <= cities  # 南京, 镇江, 扬州
    assert "320300" not in cities  # 徐州 is about 280 km away
    assert "320700" not in cities  # 连云港
    assert all(d.level == "county" for d in counties)
    assert {d.code for d in geo.divisions_within(*NANJING_CENTRE, 100, level="city")} == cities


def test_distance_to_a_county_is_never_more_than_to_its_label_point():
    for n in geo.nearby_divisions(*NANJING_CENTRE, 150):
        to_label = reference_haversine(*NANJING_CENTRE, n.division.lat, n.division.lng)
        assert n.distance_km <= to_label + 1e-6


def test_a_search_from_shanghai_reaches_the_neighbouring_suzhou_counties():
    nearby = geo.divisions_within(31.23, 121.47, 40)
    assert "320583" in {d.code for d in nearby}  # 昆山市
    assert all(d.parent in {"320500", "320600"} for d in nearby)


def test_a_radius_around_the_province_level_returns_the_province():
    assert geo.divisions_within(*GUSU, 1, level="province") == geo.divisions("province")
    assert geo.divisions_within(39.9, 116.4, 100, level="province") == []


@pytest.mark.parametrize("radius", [-1.0, math.nan, math.inf])
def test_an_invalid_radius_is_rejected(radius):
    with pytest.raises(InvalidInput) as caught:
        geo.divisions_within(*GUSU, radius)
    assert caught.value.field == "radius_km"


# --- retired codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("320602", "320613"),
        ("320611", "320613"),
        ("320684", "320614"),
        ("320621", "320685"),
        ("320802", "320812"),
        ("320811", "320812"),
        ("320823", "320813"),
        ("320982", "320904"),
        ("320482", "320413"),
        ("320202", "320213"),
        ("320502", "320508"),
        ("320584", "320509"),
        ("321088", "321012"),
        ("321284", "321204"),
        ("320705", "320706"),
        ("320721", "320707"),
        ("320323", "320312"),
    ],
)
def test_a_retired_code_maps_to_its_successor(old, new):
    assert geo.successor_code(old) == new


def test_a_current_code_is_its_own_successor():
    for division in geo.divisions():
        assert geo.successor_code(division.code) == division.code


@pytest.mark.parametrize("code", ["999999", "110101", "", "32050", None])
def test_a_code_that_is_neither_current_nor_retired_is_unknown(code):
    with pytest.raises(UnknownDivision):
        geo.successor_code(code)


def test_every_retired_entry_has_a_name_a_year_and_a_current_county_successor():
    retired = read_data("retired_codes.json")
    assert len(retired) >= 17
    for old, entry in retired.items():
        assert len(old) == 6 and old.startswith("32")
        assert entry["name"]
        assert 2000 <= entry["year"] <= 2025
        assert geo.get_division(entry["successor"]).level == "county"


# --- data files --------------------------------------------------------------------------------


def test_the_county_polygons_match_the_catalogue():
    features = read_data("counties.geojson")["features"]
    catalogue = {d.code: d for d in geo.divisions("county")}
    assert len(features) == 95
    for feature in features:
        props = feature["properties"]
        division = catalogue[props["code"]]
        assert (props["name"], props["parent"]) == (division.name, division.parent)


def test_the_map_has_one_uniquely_named_region_per_county():
    names = geo.map_names()
    assert set(names) == {d.code for d in geo.divisions("county")}
    assert len(set(names.values())) == 95
    assert names["320106"] == "南京市鼓楼区"
    assert names["320302"] == "徐州市鼓楼区"
    assert names["320508"] == "姑苏区"


def test_label_points_are_rounded_to_five_decimals():
    for division in geo.divisions():
        assert round(division.lat, 5) == division.lat
        assert round(division.lng, 5) == division.lng
