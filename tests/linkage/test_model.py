"""The model: JSON with the version, validated on load; the built-in model; Spark SQL."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from fanguai.linkage import LINKAGE_VERSION, InvalidModel, LinkageModel
from fanguai.linkage._comparisons import comparison_fields
from fanguai.linkage._model import (
    M_FLOOR,
    model_from_splink,
    prediction_blocking_rules,
    splink_settings,
)


def test_a_model_survives_its_json(default_model):
    text = default_model.to_json()
    assert LinkageModel.from_json(text) == default_model
    assert LinkageModel.from_json(text.encode("utf-8")) == default_model


def test_the_json_records_the_versions_and_every_level(default_model):
    data = json.loads(default_model.to_json())
    assert data["format"] == "fanguai-linkage-model"
    assert data["linkage_version"] == LINKAGE_VERSION
    assert data["splink_version"]
    assert [f["field"] for f in data["fields"]] == [f.name for f in comparison_fields()]
    assert data["fields"][0]["levels"][1] == {
        "label": "exact",
        "m": default_model.fields[0].levels[1].m,
        "u": default_model.fields[0].levels[1].u,
    }


def test_the_built_in_model_fits_these_comparisons(default_model):
    assert default_model.version == LINKAGE_VERSION
    for field, spec in zip(default_model.fields, comparison_fields(), strict=True):
        assert [lv.label for lv in field.levels] == [lv.label for lv in spec.levels]
        agreeing = [lv for lv in field.levels if lv.m is not None]
        assert math.fsum(lv.m for lv in agreeing) == pytest.approx(1)
        assert math.fsum(lv.u for lv in agreeing) == pytest.approx(1)
    # What the data say: agreement counts for a match, disagreement against.
    name = default_model.field_parameters("name").levels
    assert name[1].weight > name[2].weight > 0 > name[-1].weight
    assert default_model.field_parameters("sex").levels[2].weight < -3


def edited(model, edit):
    data = json.loads(model.to_json())
    edit(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(linkage_version="2.0"), "linkage version '2.0'"),
        (lambda d: d.pop("linkage_version"), "linkage version None"),
        (lambda d: d.update(format="splink"), "not a linkage model"),
        (lambda d: d["fields"].pop(), "fields differ"),
        (lambda d: d["fields"][1]["levels"][1].update(label="equal"), "'sex': levels differ"),
        (lambda d: d["fields"][1]["levels"][1].update(m=1.5), "not between 0 and 1"),
        (lambda d: d["fields"][1]["levels"][1].update(u=0), "u above 0"),
        (lambda d: d["fields"][1]["levels"][1].update(m=None), "needs m and u"),
        (lambda d: d.update(probability_two_random_records_match=0), "between 0 and 1"),
        (lambda d: d.update(training=[]), "'training' must be an object"),
    ],
)
def test_a_model_that_does_not_fit_is_refused(default_model, edit, message):
    with pytest.raises(InvalidModel, match=message):
        LinkageModel.from_json(edited(default_model, edit))


def test_text_that_is_not_json_is_refused():
    with pytest.raises(InvalidModel, match="not valid JSON"):
        LinkageModel.from_json("{")


def test_the_prior_is_scaled_to_the_register_at_hand(default_model):
    trained_on = default_model.training["records"]["missing"]
    share = default_model.probability_two_random_records_match * trained_on
    assert default_model.scaled_to(10).probability_two_random_records_match == pytest.approx(
        share / 10
    )
    assert default_model.scaled_to(trained_on) == default_model
    untracked = replace(default_model, training={})
    assert untracked.scaled_to(10) == untracked


def splink_dict(m=None, u=None):
    """A trained Splink dictionary with the given m and u for every non-null level."""
    comparisons = []
    for spec in comparison_fields():
        levels = []
        for level in spec.levels:
            item = {"label_for_charts": level.label}
            if not level.is_null:
                n = sum(not lv.is_null for lv in spec.levels)
                item.update(m_probability=m if m is not None else 1 / n, u_probability=u or 1 / n)
            levels.append(item)
        comparisons.append({"comparison_levels": levels})
    return {"probability_two_random_records_match": 1e-6, "comparisons": comparisons}


def test_levels_that_estimation_left_open_weigh_nothing_and_m_has_a_floor():
    settings = splink_dict()
    sex = settings["comparisons"][1]["comparison_levels"]
    sex[1].update(m_probability=1.0, u_probability=0.5)
    sex[2].update(m_probability=0.0, u_probability=0.5)  # never seen among matches
    name = settings["comparisons"][0]["comparison_levels"]
    name[1].update(m_probability=None)  # EM saw no such pair
    model = model_from_splink(settings, {}, u_floor=1e-7)
    different = model.field_parameters("sex").levels[2]
    assert different.m == pytest.approx(M_FLOOR / (1 + M_FLOOR))
    assert model.field_parameters("name").levels[1].m == pytest.approx(
        model.field_parameters("name").levels[1].u
    )


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_the_comparisons_render_for_both_engines(default_model, dialect):
    settings = splink_settings(
        default_model, blocking_rules=prediction_blocking_rules(), dialect=dialect
    ).get_settings(dialect)
    conditions = [lv.sql_condition for c in settings.comparisons for lv in c.comparison_levels]
    overlap = {"duckdb": "list_has_any(", "spark": "arrays_overlap("}[dialect]
    assert sum(overlap in c for c in conditions) == 4
    if dialect == "spark":
        assert not any("list_" in c.lower() for c in conditions)
