"""The ``fanguai geo`` command group: output contracts and exit statuses."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fanguai.geo.cli import app

DIVISION_KEYS = {"code", "name", "level", "parent", "lat", "lng"}


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def test_divisions_json_lists_all_109_divisions_with_the_contract_fields(run):
    result = run("divisions", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert len(items) == 109
    assert all(set(item) == DIVISION_KEYS for item in items)
    assert {item["level"] for item in items} == {"province", "city", "county"}
    gusu = next(item for item in items if item["code"] == "320508")
    assert gusu["name"] == "姑苏区"
    assert gusu["parent"] == "320500"
    assert isinstance(gusu["lat"], float) and isinstance(gusu["lng"], float)
    province = next(item for item in items if item["level"] == "province")
    assert province["parent"] is None


def test_divisions_json_is_utf8_and_not_ascii_escaped(run):
    result = run("divisions", "--json", "--level", "province")
    assert "江苏省" in result.stdout
    assert "\\u" not in result.stdout


@pytest.mark.parametrize(("level", "count"), [("province", 1), ("city", 13), ("county", 95)])
def test_divisions_can_be_filtered_by_level(run, level, count):
    items = json.loads(run("divisions", "--json", "--level", level).stdout)
    assert len(items) == count
    assert {item["level"] for item in items} == {level}


def test_divisions_without_json_prints_a_readable_table(run):
    result = run("divisions", "--level", "city")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 13
    assert lines[0].startswith("320100") and lines[0].endswith("南京市")


def test_an_unknown_level_fails_with_a_usage_error(run):
    result = run("divisions", "--level", "town")
    assert result.exit_code == 2


def test_locate_prints_the_county_and_city(run):
    result = run("locate", "31.326", "120.628")
    assert result.exit_code == 0
    assert "姑苏区" in result.stdout and "苏州市" in result.stdout
    assert "320508" in result.stdout


def test_locate_json_follows_the_contract(run):
    result = run("locate", "31.326", "120.628", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "county": {"code": "320508", "name": "姑苏区"},
        "city": {"code": "320500", "name": "苏州市"},
        "lat": 31.326,
        "lng": 120.628,
    }


def test_locate_outside_jiangsu_exits_1_with_a_message_on_stderr(run):
    result = run("locate", "39.9", "116.4", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "outside Jiangsu" in result.stderr
    assert "39.9" in result.stderr


@pytest.mark.parametrize(
    "args", [("--", "-33.9", "151.2"), ("-33.9", "151.2"), ("--json", "--", "-33.9", "151.2")]
)
def test_negative_coordinates_are_accepted_as_arguments(run, args):
    result = run("locate", *args)
    assert result.exit_code == 1
    assert "lat -33.9, lng 151.2" in result.stderr


@pytest.mark.parametrize(
    "args",
    [("abc", "120.6"), ("nan", "120.6"), ("31.3", "inf"), ("91", "120.6"), ("31.3",)],
)
def test_locate_with_invalid_numbers_exits_2_with_a_message(run, args):
    result = run("locate", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip()


def test_within_lists_nearby_counties_nearest_first(run):
    result = run("within", "31.326", "120.628", "10")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "320508" in lines[0] and "姑苏区" in lines[0]
    assert len(lines) >= 2


def test_within_json_lists_divisions_with_their_distance(run):
    result = run("within", "31.326", "120.628", "10", "--json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert items[0]["code"] == "320508"
    assert items[0]["distance_km"] == 0.0
    assert all(set(item) == DIVISION_KEYS | {"distance_km"} for item in items)
    assert all(item["level"] == "county" for item in items)
    distances = [item["distance_km"] for item in items]
    assert distances == sorted(distances) and distances[-1] <= 10


def test_within_can_list_cities(run):
    items = json.loads(run("within", "31.326", "120.628", "1", "--json", "--level", "city").stdout)
    assert [item["code"] for item in items] == ["320500"]


def test_within_far_away_prints_an_empty_json_list(run):
    result = run("within", "--json", "--", "-33.9", "151.2", "50")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_within_rejects_a_negative_radius(run):
    result = run("within", "31.3", "120.6", "-5")
    assert result.exit_code == 2
    assert "radius_km" in result.stderr
