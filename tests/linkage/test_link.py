"""link(): homophones and heteronyms, levels by field, explanations, thresholds, errors."""

from __future__ import annotations

import math

import pytest

from fanguai.geo import service as geo
from fanguai.linkage import (
    DEFAULT_THRESHOLD,
    InvalidRecords,
    InvalidSettings,
    Pair,
    Record,
    link,
)
from fanguai.linkage._comparisons import FIELDS as COMPARED
from fanguai.linkage._places import county_distance_km

from .conftest import TODAY, child


def only_pair(missing, found, model, **kwargs) -> Pair:
    [pair] = link(missing, found, model=model, threshold=0.0, today=TODAY, **kwargs)
    return pair


def levels(pair: Pair) -> dict[str, str]:
    return {e.field: e.level for e in pair.explanation}


def test_a_heteronym_surname_written_as_heard_matches(default_model):
    # 单 is read shan as a surname; a recorder who heard "shan wei" wrote 善伟.
    pair = only_pair([child("M1", "单伟")], [child("F1", "善伟")], default_model)
    assert levels(pair)["name"] == "same pinyin"
    assert pair.match_probability > 0.99


@pytest.mark.parametrize(
    ("missing_name", "found_name", "level"),
    [
        ("张梓涵", "张梓涵", "exact"),
        ("张梓涵", "张子涵", "same pinyin"),  # homophone
        ("张梓涵", "張梓涵", "same pinyin"),  # traditional variant
        ("解明", "谢明", "same pinyin"),  # xie as a surname
        ("张乐乐", "张岳岳", "same pinyin"),  # 乐 also reads yue
        ("张梓涵", "张涵梓", "same syllables in another order"),
        ("张梓涵", "张涵", "one syllable more or less"),
        ("张梓涵", "张梓轩", "one syllable differs"),
        ("张梓涵", "李浩然", "different"),
        ("张梓涵", "", "missing"),
    ],
)
def test_name_levels(default_model, missing_name, found_name, level):
    # Everything else agrees, so the pair is scored whatever the name.
    pair = only_pair([child("M1", missing_name)], [child("F1", found_name)], default_model)
    assert levels(pair)["name"] == level


def counties_at(lower_km: float, upper_km: float) -> tuple[str, str]:
    """Two counties whose label points lie between these distances (first one found)."""
    codes = [d.code for d in geo.divisions("county")]
    for a in codes:
        for b in codes:
            if lower_km < county_distance_km(a, b) < upper_km:
                return a, b
    raise AssertionError("no such pair of counties")


@pytest.mark.parametrize(
    ("lower", "upper", "level"),
    [
        (-1, 0.001, "same county"),
        (10, 45, "within 50 km"),
        (60, 110, "within 120 km"),
        (150, 400, "further"),
    ],
)
def test_place_levels_follow_the_distance_between_counties(default_model, lower, upper, level):
    a, b = counties_at(lower, upper)
    pair = only_pair(
        [child("M1", "张梓涵", place_code=a)], [child("F1", "张梓涵", place_code=b)], default_model
    )
    assert levels(pair)["place"] == level


@pytest.mark.parametrize(
    ("missing_birth", "found_birth", "level"),
    [
        ("2015-03-02", "2015-03-02", "same day"),
        ("2015-03-02", "2015-03", "same month"),
        ("2015-03-02", "2015", "same year"),
        ("2015-03-02", "2016", "within 1 year"),
        ("2015-03-02", "2013", "within 2 years"),
        ("2015-03-02", "2012", "further apart"),
        ("2015-03-02", "", "missing"),
    ],
)
def test_birth_date_levels_compare_ranges(default_model, missing_birth, found_birth, level):
    pair = only_pair(
        [child("M1", "张梓涵", birth_date=missing_birth)],
        [child("F1", "张梓涵", birth_date=found_birth)],
        default_model,
    )
    assert levels(pair)["birth_date"] == level


@pytest.mark.parametrize(
    ("found_on", "level"),
    [
        ("2020-05-09", "found within 30 days"),
        ("2021-02-01", "found within a year"),
        ("2023-01-01", "found later"),
        ("2020-01-01", "found before the disappearance"),
    ],
)
def test_event_levels_count_days_from_disappearance_to_finding(default_model, found_on, level):
    pair = only_pair(
        [child("M1", "张梓涵", event_date="2020-05-01")],
        [child("F1", "张梓涵", event_date=found_on)],
        default_model,
    )
    assert levels(pair)["event_date"] == level


def test_parents_names_are_compared(default_model):
    pair = only_pair(
        [child("M1", "张梓涵", father_name="张建国", mother_name="李秀英")],
        [child("F1", "张梓涵", father_name="张建华", mother_name="李秀莹")],
        default_model,
    )
    assert levels(pair)["father_name"] == "given name one syllable apart"
    assert levels(pair)["mother_name"] == "same pinyin"


def test_marks_are_compared_by_shared_character_pairs(default_model):
    pair = only_pair(
        [child("M1", "张梓涵", features="左耳后有一颗黑痣，右手背烫伤疤痕")],
        [child("F1", "张梓涵", features="黑痣（左耳后）")],
        default_model,
    )
    assert levels(pair)["features"] == "3 or more shared"


def test_the_explanation_adds_up_to_the_match_weight(default_model):
    pair = only_pair(
        [child("M1", "张梓涵", mother_name="李秀英", features="左耳后黑痣")],
        [child("F1", "张子涵", birth_date="2015", place_code="320506", mother_name="李秀英")],
        default_model,
    )
    assert [e.field for e in pair.explanation] == ["prior", *COMPARED]
    assert math.fsum(e.weight for e in pair.explanation) == pytest.approx(
        pair.match_weight, abs=1e-9
    )
    assert pair.match_probability == pytest.approx(1 / (1 + 2**-pair.match_weight))
    assert dict((e.field, e.weight) for e in pair.explanation)["father_name"] == 0  # both unknown


def test_each_level_weighs_log2_m_over_u(default_model):
    pair = only_pair(
        [child("M1", "张梓涵", sex="M")], [child("F1", "张梓涵", sex="F")], default_model
    )
    model = default_model.scaled_to(1)
    expected = model.field_parameters("sex").levels[2].weight
    assert dict((e.field, e.weight) for e in pair.explanation)["sex"] == pytest.approx(expected)
    assert pair.explanation[0].weight == pytest.approx(model.prior_weight)


def test_pairs_come_best_first_and_the_threshold_is_inclusive(default_model):
    missing = [child("M1", "张梓涵"), child("M2", "王浩宇", birth_date="2012-01-01")]
    found = [
        child("F1", "张梓涵"),
        child("F2", "张子涵", birth_date="2015", place_code="320506"),
        child("F3", "王浩宇", birth_date="2012-01-01"),
    ]
    every = link(missing, found, model=default_model, threshold=0.0, today=TODAY)
    weights = [p.match_weight for p in every]
    assert weights == sorted(weights, reverse=True)
    middle = every[len(every) // 2].match_probability
    kept = link(missing, found, model=default_model, threshold=middle, today=TODAY)
    assert kept == [p for p in every if p.match_probability >= middle]
    assert kept[-1].match_probability == middle


def test_the_default_threshold_drops_unlikely_pairs(default_model):
    pairs = link(
        [child("M1", "张梓涵")],
        [
            child("F1", "张梓涵"),
            child("F2", "张梓轩", sex="F", birth_date="2010", place_code="321302"),
        ],
        model=default_model,
        today=TODAY,
    )
    assert [(p.missing_id, p.found_id) for p in pairs] == [("M1", "F1")]
    assert all(p.match_probability >= DEFAULT_THRESHOLD for p in pairs)


def test_without_a_model_few_records_use_the_built_in_one(default_model):
    missing, found = [child("M1", "张梓涵")], [child("F1", "张子涵")]
    assert link(missing, found, today=TODAY) == link(
        missing, found, model=default_model, today=TODAY
    )


def test_ids_may_repeat_across_the_two_sides(default_model):
    pair = only_pair([child("7", "张梓涵")], [child("7", "张梓涵")], default_model)
    assert (pair.missing_id, pair.found_id) == ("7", "7")


def test_empty_sides_give_no_pairs(default_model):
    assert link([], [child("F1", "张梓涵")], model=default_model, today=TODAY) == []


def test_invalid_records_stop_before_linking(default_model):
    with pytest.raises(InvalidRecords) as info:
        link(
            [child("M1", "张梓涵")],
            [child("F1", "张梓涵"), child("F2", "李四", place_code="320000")],
            model=default_model,
            today=TODAY,
        )
    first = info.value.first
    assert (first.source, first.row, first.field, first.record_id) == (
        "found",
        2,
        "place_code",
        "F2",
    )


@pytest.mark.parametrize("threshold", [-0.1, 1.5, math.nan, "0.5", True])
def test_thresholds_outside_0_to_1_are_refused(default_model, threshold):
    with pytest.raises(InvalidSettings, match="threshold"):
        link([child("M1", "张")], [child("F1", "张")], model=default_model, threshold=threshold)


def test_unknown_engines_are_refused(default_model):
    with pytest.raises(InvalidSettings, match="engine"):
        link([child("M1", "张")], [child("F1", "张")], model=default_model, engine="sqlite")
    with pytest.raises(InvalidSettings, match="spark_session"):
        link([child("M1", "张")], [child("F1", "张")], model=default_model, engine="spark")


def test_record_is_a_dataclass_with_the_csv_fields():
    from dataclasses import fields

    from fanguai.linkage import FIELDS

    assert tuple(f.name for f in fields(Record)) == FIELDS
