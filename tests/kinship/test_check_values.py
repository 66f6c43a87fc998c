"""Every check value of shared/kinship/README.md, one test each."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fanguai.kinship import (
    KinshipSettings,
    aabb_mutation_pi,
    duo_lr,
    exclusion_power,
    genotype_probability,
    parents_lr,
    probability_of_parentage,
    trio_lr,
)
from fanguai.kinship._mutation import mutation_matrix
from fanguai.kinship._pedigree import Person, pedigree_likelihood

TRIO = [Person("f"), Person("m", "female"), Person("c", "male", "f", "m")]


def test_duo_homozygous_parent_and_child_with_p_005_gives_lr_20():
    assert duo_lr({"L1": "1/1"}, {"L1": "1/1"}, {"L1": {"1": 0.05}}).lr == pytest.approx(
        20, rel=1e-12
    )


def test_duo_homozygous_parent_and_child_with_p_01_gives_lr_10():
    assert duo_lr({"L2": "1/1"}, {"L2": "1/1"}, {"L2": {"1": 0.1}}).lr == pytest.approx(
        10, rel=1e-12
    )


def test_duo_over_both_loci_gives_lr_200():
    freqs = {"L1": {"1": 0.05}, "L2": {"1": 0.1}}
    result = duo_lr({"L1": "1/1", "L2": "1/1"}, {"L1": "1/1", "L2": "1/1"}, freqs)
    assert result.lr == pytest.approx(200, rel=1e-12)
    assert result.log10_lr == pytest.approx(math.log10(200), rel=1e-12)


def test_impossible_duo_without_mutation_gives_exactly_zero_and_counts_the_locus():
    freqs = {"L1": {"1": 0.05, "2": 0.1}, "L2": {"1": 0.1}}
    result = duo_lr({"L1": "1/1", "L2": "1/1"}, {"L1": "2/2", "L2": "1/1"}, freqs)
    assert result.lr == 0.0
    assert result.log10_lr == -math.inf
    assert result.to_dict()["log10_lr"] is None
    assert result.inconsistent_loci == 1
    assert [x.consistent for x in result.loci] == [False, True]
    assert result.loci[0].lr == 0.0


def test_impossible_trio_and_parents_without_mutation_give_exactly_zero():
    freqs = {"L1": {"1": 0.5, "2": 0.3, "3": 0.2}}
    assert trio_lr({"L1": "1/3"}, {"L1": "2/2"}, {"L1": "1/1"}, freqs).lr == 0.0
    assert parents_lr({"L1": "1/3"}, {"L1": "2/2"}, {"L1": "1/1"}, freqs).lr == 0.0


def test_trio_pedigree_likelihood_with_equal_model_rate_01_is_0006561():
    p = np.array([0.9, 0.1])
    m = mutation_matrix("equal", 0.1, ["1", "2"], p)
    typed = {"f": (0, 0), "m": (0, 0), "c": (1, 1)}
    assert pedigree_likelihood(TRIO, typed, p, m, m) == pytest.approx(0.006561, rel=1e-12)


def test_duo_pedigree_likelihood_with_proportional_model_rate_01_is_00045():
    p = np.array([0.9, 0.1])
    m = mutation_matrix("proportional", 0.1, ["1", "2"], p)
    typed = {"f": (0, 0), "c": (1, 1)}
    assert pedigree_likelihood(TRIO, typed, p, m, m) == pytest.approx(0.0045, rel=1e-12)


def test_duo_lr_with_proportional_model_uses_the_same_likelihood():
    s = KinshipSettings(mutation_model="proportional", rate=0.1)
    result = duo_lr({"L": "2/2"}, {"L": "1/1"}, {"L": {"1": 0.9, "2": 0.1}}, s)
    assert result.lr == pytest.approx(0.0045 / (0.81 * 0.01), rel=1e-12)
    assert result.inconsistent_loci == 1


def test_single_person_homozygous_with_theta_001_has_probability_00921():
    assert genotype_probability("1/1", {"1": 0.3}, theta=0.01) == pytest.approx(0.0921, rel=1e-12)
    single = pedigree_likelihood([Person("x")], {"x": (0, 0)}, [0.3, 0.7], theta=0.01)
    assert single == pytest.approx(0.0921, rel=1e-12)


def test_parents_heterozygous_with_homozygous_rare_child_gives_25():
    freqs = {"L": {"1": 0.1, "2": 0.9}}
    assert parents_lr({"L": "1/1"}, {"L": "1/2"}, {"L": "1/2"}, freqs).lr == pytest.approx(25)


def test_parents_heterozygous_with_homozygous_common_child_gives_one_over_4_times_081():
    freqs = {"L": {"1": 0.1, "2": 0.9}}
    result = parents_lr({"L": "2/2"}, {"L": "1/2"}, {"L": "1/2"}, freqs)
    assert result.lr == pytest.approx(1 / (4 * 0.9**2), rel=1e-12)


THETA = KinshipSettings(theta=0.03)
F = {"L": {"1": 0.1, "2": 0.2, "3": 0.3}}


@pytest.mark.parametrize(
    ("child", "parent", "expected"),
    [
        ("1/1", "1/1", 5.6684492),
        ("1/1", "1/2", 3.37579618),
        ("1/2", "1/1", 3.37579618),
        ("1/2", "1/3", 2.08661417),
        ("1/2", "1/2", 3.26964989),
    ],
    ids=["AA-AA", "AA-AB", "AB-AA", "AB-AC", "AB-AB"],
)
def test_duo_theta_003_table_matches_the_published_check_values(child, parent, expected):
    assert duo_lr({"L": child}, {"L": parent}, F, THETA).lr == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize(
    ("child", "mother", "father", "expected"),
    [
        ("1/1", "1/2", "1/1", 1 / 0.1),
        ("1/1", "1/1", "1/3", 1 / 0.2),
        ("1/2", "1/1", "2/2", 1 / 0.2),
        ("1/2", "1/3", "2/3", 1 / 0.4),
        ("1/2", "1/2", "2/2", 1 / 0.3),
        ("1/2", "1/2", "1/3", 1 / 0.6),
    ],
)
def test_trio_table_of_the_readme(child, mother, father, expected):
    result = trio_lr({"L": child}, {"L": father}, {"L": mother}, F)
    assert result.lr == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("child", "parent", "expected"),
    [
        ("1/1", "1/1", 10),
        ("1/1", "1/2", 5),
        ("1/2", "1/1", 5),
        ("1/2", "1/2", 0.3 / 0.08),
        ("1/2", "1/3", 2.5),
    ],
)
def test_duo_table_of_the_readme(child, parent, expected):
    assert duo_lr({"L": child}, {"L": parent}, F).lr == pytest.approx(expected, rel=1e-12)


def test_probability_of_parentage_is_cpi_over_cpi_plus_one():
    assert probability_of_parentage(9999) == pytest.approx(0.9999)
    result = duo_lr({"L": "1/1"}, {"L": "1/1"}, F)
    assert result.probability == pytest.approx(10 / 11)


def test_aabb_shortcut_is_rate_over_mean_exclusion_power():
    p = [0.5, 0.3, 0.2]
    a = sum(x**2 * (1 - x) ** 2 for x in p) + sum(
        2 * p[i] * p[j] * (1 - p[i] - p[j]) ** 2 for i in range(3) for j in range(i + 1, 3)
    )
    assert exclusion_power(np.array(p)) == pytest.approx(a)
    assert aabb_mutation_pi(0.002, p) == pytest.approx(0.002 / a)
