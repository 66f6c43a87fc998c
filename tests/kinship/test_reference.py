"""Property tests: every fast path agrees with the brute-force pedigree reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanguai.kinship import _parentage as fast
from fanguai.kinship._mutation import mutation_matrix
from fanguai.kinship._pedigree import Person, pedigree_likelihood, reference_pairwise_lr

REL = 1e-9
MODELS = ["equal", "proportional", "stepwise"]


@st.composite
def locus(draw, max_alleles=4):
    n = draw(st.integers(2, max_alleles))
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
    p = np.array(raw) / sum(raw)
    geno = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).map(lambda g: tuple(sorted(g)))
    return p, geno


def matrices(model, p, rate, rate_female):
    alleles = [str(10 + i) for i in range(len(p))]
    if model == "stepwise":  # include a microvariant so non-integer steps are exercised
        alleles[-1] = f"{9 + len(p)}.3"
    return (
        mutation_matrix(model, rate, alleles, p),
        mutation_matrix(model, rate_female, alleles, p),
    )


def small_rate(model, p):
    bound = (1 - float(np.sum(p * p))) / (1 - float(p.min()))
    return min(0.05, 0.9 * bound) if model == "proportional" else 0.05


@st.composite
def case(draw, people, max_alleles=4, mutation=True, theta=True):
    p, geno = draw(locus(max_alleles))
    model = draw(st.sampled_from(["none", *MODELS])) if mutation else "none"
    rate = small_rate(model, p)
    mm, mf = matrices(model, p, rate, rate / 4)
    th = draw(st.sampled_from([0.0, 0.03, 0.1])) if theta else 0.0
    gs = [draw(geno) for _ in range(people)]
    return p, mm, mf, th, gs


def close(a, b):
    assert a == pytest.approx(b, rel=REL, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(case(people=2))
def test_duo_matches_the_pedigree_reference_with_and_without_mutation_and_theta(data):
    p, mm, mf, th, (child, parent) = data
    ped = [Person("f"), Person("m", "female"), Person("c", "male", "f", "m")]
    related = pedigree_likelihood(ped, {"f": parent, "c": child}, p, mm, mf, th)
    unrelated = pedigree_likelihood(
        [Person("f"), Person("c")], {"f": parent, "c": child}, p, mm, mf, th
    )
    close(fast.duo(child, parent, p, mm, mf, th), related / unrelated)


@settings(max_examples=60, deadline=None)
@given(case(people=3))
def test_trio_matches_the_pedigree_reference(data):
    p, mm, mf, th, (child, father, mother) = data
    ped = [Person("f"), Person("m", "female"), Person("c", "male", "f", "m")]
    typed = {"f": father, "m": mother, "c": child}
    related = pedigree_likelihood(ped, typed, p, mm, mf, th)
    alt = [Person("f"), Person("t"), Person("m", "female"), Person("c", "male", "t", "m")]
    unrelated = pedigree_likelihood(alt, typed, p, mm, mf, th)
    num, den = fast.trio(child, father, mother, p, mm, mf, th)
    close(num * pedigree_likelihood(ped[:2], typed, p, mm, mf, th), related)
    if unrelated > 0:
        close(num / den, related / unrelated)


@settings(max_examples=60, deadline=None)
@given(case(people=3))
def test_parents_matches_the_pedigree_reference(data):
    p, mm, mf, th, (child, father, mother) = data
    ped = [Person("f"), Person("m", "female"), Person("c", "male", "f", "m")]
    typed = {"f": father, "m": mother, "c": child}
    related = pedigree_likelihood(ped, typed, p, mm, mf, th)
    unrelated = pedigree_likelihood(
        [Person("f"), Person("m", "female"), Person("c")], typed, p, mm, mf, th
    )
    close(fast.parents(child, father, mother, p, mm, mf, th), related / unrelated)


PAIRWISE = ["full-siblings", "half-siblings", "grandparent", "avuncular", "first-cousins"]


@pytest.mark.parametrize("relationship", PAIRWISE)
@settings(max_examples=12, deadline=None)
@given(data=case(people=2, max_alleles=3, mutation=False))
def test_kappa_formula_with_theta_matches_the_pedigree_reference(relationship, data):
    p, mm, mf, th, (a, b) = data
    close(
        fast.kappa_lr(relationship, a, b, p, th),
        reference_pairwise_lr(relationship, a, b, p, theta=th),
    )


@pytest.mark.parametrize("relationship", ["parent-child", *PAIRWISE])
@settings(max_examples=12, deadline=None)
@given(data=case(people=2, max_alleles=3, theta=False))
def test_pairwise_pedigree_path_with_mutation_matches_the_reference(relationship, data):
    p, mm, mf, _, (a, b) = data
    close(
        fast.pedigree_pairwise(relationship, a, b, p, mm, mf),
        reference_pairwise_lr(relationship, a, b, p, mm, mf),
    )


@pytest.mark.parametrize("relationship", PAIRWISE)
@settings(max_examples=20, deadline=None)
@given(data=case(people=2, max_alleles=5, mutation=False, theta=False))
def test_pedigree_path_without_mutation_equals_the_kappa_formula(relationship, data):
    p, _, _, _, (a, b) = data
    eye = np.eye(len(p))
    close(
        fast.pedigree_pairwise(relationship, a, b, p, eye, eye),
        fast.kappa_lr(relationship, a, b, p, 0.0),
    )
