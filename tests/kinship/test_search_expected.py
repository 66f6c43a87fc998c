"""Expected false hits: exact for tiny tables against brute-force enumeration of every unrelated
pair (trio for ``parents``) scored with the per-pair reference; the grid bound for larger ones."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from fanguai.kinship import (
    FrequencyTable,
    InvalidCase,
    InvalidSettings,
    KinshipSettings,
    MissingFrequencies,
    duo_lr,
    expected_false_hits,
    parents_lr,
)
from fanguai.kinship._expected import GRID, tail_probability

TABLE = FrequencyTable.from_dict(
    {"L1": {"7": 0.2, "8": 0.8}, "L2": {"10": 0.5, "11": 0.3, "12.3": 0.2}}
)
SETTINGS = [
    KinshipSettings(),
    KinshipSettings(theta=0.03),
    KinshipSettings(mutation_model="stepwise", rate=0.01, rate_female=0.004, theta=0.02),
    KinshipSettings(mutation_model="equal", rate=0.02),
]


def genotypes(locus):
    """Every genotype of a locus with its Hardy–Weinberg probability."""
    freqs = TABLE.loci[locus]
    alleles = list(freqs)
    for i, a in enumerate(alleles):
        for b in alleles[i:]:
            yield f"{a}/{b}", freqs[a] * freqs[b] * (1 if a == b else 2)


def people():
    """Every multi-locus profile with its probability."""
    for combo in itertools.product(*(list(genotypes(x)) for x in TABLE.loci)):
        yield (
            dict(zip(TABLE.loci, (g for g, _ in combo), strict=True)),
            math.prod(w for _, w in combo),
        )


def tail(atoms, x):
    return sum(w for v, w in atoms if v >= x - 1e-9)


def thresholds(atoms):
    values = sorted({round(v, 12) for v, _ in atoms if v > -math.inf})
    middles = [(a + b) / 2 for a, b in itertools.pairwise(values)]
    return values[::3] + middles[::3] + [values[-1] + 1, -30.0]


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: f"{s.mutation_model}-{s.theta}")
def test_duo_expected_false_hits_are_exact_for_a_tiny_table(s):
    everyone = list(people())
    atoms = [
        (duo_lr(child, parent, TABLE, s).log10_lr, wc * wp)
        for (child, wc), (parent, wp) in itertools.product(everyone, everyone)
    ]
    assert sum(w for _, w in atoms) == pytest.approx(1.0)
    for x in thresholds(atoms):
        expected = 1000 * tail(atoms, x)
        got = expected_false_hits(TABLE, s, ["L1", "L2"], x, 1000)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), x


@pytest.mark.parametrize("s", SETTINGS[::2], ids=lambda s: s.mutation_model)
def test_parents_expected_false_hits_are_exact_for_a_tiny_table(s):
    everyone = list(people())
    atoms = [
        (parents_lr(child, father, mother, TABLE, s).log10_lr, wc * wf * wm)
        for (child, wc), (father, wf), (mother, wm) in itertools.product(
            everyone, everyone, everyone
        )
    ]
    for x in thresholds(atoms)[::2]:
        got = expected_false_hits(TABLE, s, ["L1", "L2"], x, 50, relationship="parents")
        assert got == pytest.approx(50 * tail(atoms, x), rel=1e-9, abs=1e-12), x


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: f"{s.mutation_model}-{s.theta}")
def test_the_grid_is_an_upper_bound_within_its_resolution(s):
    parts = [("parent-child", "L1"), ("parent-child", "L2")]
    for x in np.linspace(-3, 2.5, 23):
        exact = tail_probability(TABLE, s, parts, x)
        grid = tail_probability(TABLE, s, parts, x, exact_limit=0)
        assert exact - 1e-12 <= grid <= tail_probability(TABLE, s, parts, x - 2 * GRID) + 1e-12


def test_expected_false_hits_scale_with_the_database_and_fall_with_the_lr():
    s = KinshipSettings(mutation_model="stepwise", rate=0.002)
    loci = ["D3S1358", "vWA", "FGA", "TH01", "D21S11", "D18S51"]
    one = expected_false_hits("norstr-east-asia", s, loci, 2.0, 1_000)
    assert expected_false_hits("norstr-east-asia", s, loci, 2.0, 1_000_000) == pytest.approx(
        1000 * one
    )
    values = [expected_false_hits("norstr-east-asia", s, loci, x, 10**6) for x in range(-2, 8)]
    assert all(a >= b for a, b in itertools.pairwise(values)) and values[0] > values[-1]
    assert expected_false_hits("norstr-east-asia", s, loci, -math.inf, 10) == 10


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"relationship": "siblings"}, InvalidCase, "relationship 'siblings'"),
        ({"database_size": -1}, InvalidSettings, "database_size"),
        ({"database_size": 2.5}, InvalidSettings, "database_size"),
        ({"loci": ["L1", "L9"]}, MissingFrequencies, "L9"),
        ({"loci": ["L1", "l1"]}, InvalidCase, "twice"),
        ({"log10_lr": "high"}, InvalidSettings, "log10_lr"),
    ],
)
def test_bad_input_to_expected_false_hits_is_named(kwargs, error, message):
    args = {
        "table": TABLE,
        "settings": KinshipSettings(),
        "loci": ["L1", "L2"],
        "log10_lr": 1.0,
        "database_size": 10,
    } | kwargs
    with pytest.raises(error, match=message):
        expected_false_hits(**args)


def test_rounded_up_parents_classes_still_bound_the_exact_tail(monkeypatch):
    import fanguai.kinship._expected as expected

    s = KinshipSettings(mutation_model="stepwise", rate=0.01, rate_female=0.004, theta=0.02)
    parts = [("parents", "L1"), ("parents", "L2")]
    exact = [tail_probability(TABLE, s, parts, x) for x in np.linspace(-4, 3, 29)]
    fresh = FrequencyTable.from_dict({k: dict(v) for k, v in TABLE.loci.items()})
    monkeypatch.setattr(expected, "PAIR_BUDGET", 0)
    assert expected.locus_distribution(fresh, s, "L2", "parents").bins is not None
    for x, e in zip(np.linspace(-4, 3, 29), exact, strict=True):
        coarse = tail_probability(fresh, s, parts, x)
        upper = tail_probability(TABLE, s, parts, x - 3 * GRID)
        assert e - 1e-12 <= coarse <= upper + 1e-12
