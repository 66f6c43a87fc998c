"""Seeded synthetic data: what the model is estimated to be, and what it finds.

The generator's noise (homophones, variant characters, swapped and dropped characters, birth
years off by one or two, neighbouring counties, missing fields) is described in synth.py; the
thresholds here are well below what the seeds give (precision 0.996–1.0, recall of pairs
whose name survived 0.976–0.992), far above what a broken comparison gives.
"""

from __future__ import annotations

import pytest

from fanguai.linkage import estimate_model, link, synth

from .conftest import TODAY

SEED = 11


@pytest.fixture(scope="module")
def data():
    return synth.generate(n_missing=1500, n_found=1000, seed=SEED)


@pytest.fixture(scope="module")
def model(data):
    return estimate_model(data.missing, data.found, today=TODAY)  # the seed link() uses


def precision_recall(data, pairs, status=synth.KEPT):
    found = {(p.missing_id, p.found_id) for p in pairs}
    true = set(data.pairs)
    wanted = data.pairs_where(status)
    return len(found & true) / max(1, len(found)), len(found & wanted) / len(wanted)


def test_the_estimated_model_has_the_signs_the_data_imply(data, model):
    weight = {f.field: [lv.weight for lv in f.levels] for f in model.fields}
    assert weight["name"][1] > 10 and weight["name"][-1] < -5, f"seed {SEED}"
    assert weight["birth_date"][1] > weight["birth_date"][3] > weight["birth_date"][-1], (
        f"seed {SEED}"
    )
    assert weight["place"][1] > weight["place"][2] > 0 > weight["place"][-1], f"seed {SEED}"
    assert weight["event_date"][1] > 0 > weight["event_date"][-1], f"seed {SEED}"
    true_prior = len(data.pairs) / (len(data.missing) * len(data.found))
    assert 0.5 < model.probability_two_random_records_match / true_prior < 1.5, f"seed {SEED}"


def test_pairs_whose_names_survived_are_found_precisely(data, model):
    pairs = link(data.missing, data.found, model=model, today=TODAY)
    precision, recall = precision_recall(data, pairs)
    assert precision >= 0.95, f"seed {SEED}: precision {precision:.3f}"
    assert recall >= 0.93, f"seed {SEED}: recall {recall:.3f}"


def test_without_a_model_link_estimates_one_from_the_records(data, model):
    # The same estimate, up to the order DuckDB's parallel sums add floating-point numbers in.
    auto = {
        (p.missing_id, p.found_id): p.match_probability
        for p in link(data.missing, data.found, today=TODAY)
    }
    given = {
        (p.missing_id, p.found_id): p.match_probability
        for p in link(data.missing, data.found, model=model, today=TODAY)
    }
    assert auto.keys() == given.keys()
    assert all(auto[k] == pytest.approx(given[k], abs=1e-6) for k in auto)


def test_the_built_in_model_also_finds_them(data, default_model):
    pairs = link(data.missing, data.found, model=default_model, today=TODAY)
    precision, recall = precision_recall(data, pairs)
    assert precision >= 0.95 and recall >= 0.93, f"seed {SEED}: {precision:.3f} {recall:.3f}"


def test_children_found_without_a_name_are_found_less_often(data, model):
    pairs = link(data.missing, data.found, model=model, today=TODAY)
    _, kept = precision_recall(data, pairs)
    _, nameless = precision_recall(data, pairs, synth.NAMELESS)
    assert nameless < kept, f"seed {SEED}"
