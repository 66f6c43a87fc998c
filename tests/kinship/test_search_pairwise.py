"""Pairwise relative searches (siblings, grandparents, uncles, cousins) at database scale.

The search's lookup tables use the same elementwise formulas as ``kinship_lr``, so every hit's
LR is ``kinship_lr``'s for that pair, bit for bit; the elementwise formulas are checked against
the brute-force pedigree likelihood; the expected false hits against enumeration of every
unrelated pair of a tiny table.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanguai.kinship import (
    PAIRWISE,
    FrequencyTable,
    InvalidSettings,
    KinshipSettings,
    SearchIndex,
    builtin_table,
    expected_false_hits,
    kinship_lr,
    mutation_matrix,
)
from fanguai.kinship._parentage import (
    PairwiseMatrices,
    kappa_lr,
    kappa_values,
    pedigree_pairwise,
    pedigree_values,
)
from fanguai.kinship._pedigree import reference_pairwise_lr
from tests.kinship.test_search import PROPERTY, cases, summary

ROLES = ("a", "b")


def pairwise_reference(case, relationship, query, role, settings):
    """``kinship_lr`` against every stored profile, filtered (LR ≥ min_lr) and ranked."""
    rows = []
    for i, stored in enumerate(case["stored"]):
        a, b = (query, stored) if role == "a" else (stored, query)
        r = kinship_lr(relationship, a, b, case["table"], settings)
        compared = sum(x.informative for x in r.loci)
        if r.lr >= case["min_lr"] and compared >= 1:
            rows.append((-r.log10_lr, f"k{i:02d}", r.lr, r.log10_lr, 0, compared))
    rows.sort()
    return [row[1:] for row in rows[: case["top_k"]]]


@PROPERTY
@given(cases(), st.sampled_from(PAIRWISE), st.sampled_from(ROLES))
def test_kinship_search_equals_kinship_lr_against_every_stored_profile(case, relationship, role):
    index = SearchIndex(case["table"], case["settings"], min_loci=1)
    index.add_many((f"k{i:02d}", p) for i, p in enumerate(case["stored"]))
    settings = index.pairwise_settings
    for query in case["queries"]:
        hits = index.kinship_search(
            query, relationship, query_role=role, top_k=case["top_k"], min_lr=case["min_lr"]
        )
        assert summary(hits) == pairwise_reference(case, relationship, query, role, settings)
        assert all(h.relationship == relationship for h in hits)


def test_pairwise_settings_drop_theta_only_under_mutation():
    table = builtin_table("norstr-east-asia")
    with_mutation = KinshipSettings(mutation_model="stepwise", rate=0.002, theta=0.01)
    index = SearchIndex(table, with_mutation, min_loci=12)
    assert index.pairwise_settings == dataclasses.replace(with_mutation, theta=0.0)
    plain = KinshipSettings(theta=0.01)
    assert SearchIndex(table, plain, min_loci=12).pairwise_settings == plain


def test_bad_relationship_and_role_are_named():
    table = FrequencyTable.from_dict({"L1": {"7": 0.5, "8": 0.5}})
    index = SearchIndex(table, min_loci=1)
    with pytest.raises(InvalidSettings, match="relationship must be one of"):
        index.kinship_search({"L1": "7/8"}, "parents")
    with pytest.raises(InvalidSettings, match="query_role must be one of a, b"):
        index.kinship_search({"L1": "7/8"}, "full-siblings", query_role="child")


P = np.array([0.1, 0.25, 0.3, 0.35])
ALLELES = ["9", "10", "11", "12"]
GENOTYPES = [(i, j) for i in range(4) for j in range(i, 4)]
GI = np.array([g[0] for g in GENOTYPES])
GJ = np.array([g[1] for g in GENOTYPES])


@pytest.mark.parametrize("relationship", PAIRWISE)
@pytest.mark.parametrize("model", ["equal", "proportional", "stepwise"])
def test_elementwise_pedigree_values_equal_the_per_pair_function(relationship, model):
    """The broadcast table (what the search uses) equals ``pedigree_pairwise`` pair by pair
    (which ``test_reference`` checks against the brute-force pedigree)."""
    mm = mutation_matrix(model, 0.02, ALLELES, P, "L")
    mf = mutation_matrix(model, 0.005, ALLELES, P, "L")
    mats = PairwiseMatrices(P, mm, mf)
    table = pedigree_values(relationship, GI[:, None], GJ[:, None], GI[None, :], GJ[None, :], P,
                            mats)  # fmt: skip
    for (x, a), (y, b) in itertools.product(enumerate(GENOTYPES), enumerate(GENOTYPES)):
        assert table[x, y] == pedigree_pairwise(relationship, a, b, P, mm, mf)
        assert table[x, y] == pedigree_pairwise(relationship, a[::-1], b[::-1], P, mm, mf)


@pytest.mark.parametrize("relationship", PAIRWISE)
def test_elementwise_pedigree_values_equal_the_brute_force_pedigree(relationship):
    p = np.array([0.2, 0.3, 0.5])
    alleles = ["9", "10", "11"]
    mm = mutation_matrix("stepwise", 0.02, alleles, p, "L")
    mf = mutation_matrix("stepwise", 0.005, alleles, p, "L")
    pairs = [((0, 0), (0, 0)), ((0, 1), (1, 2)), ((1, 2), (0, 0)), ((2, 2), (0, 1))]
    ai, aj, bi, bj = (np.array(x) for x in zip(*[(*a, *b) for a, b in pairs], strict=True))
    values = pedigree_values(relationship, ai, aj, bi, bj, p, PairwiseMatrices(p, mm, mf))
    for value, (a, b) in zip(values, pairs, strict=True):
        assert value == pytest.approx(reference_pairwise_lr(relationship, a, b, p, mm, mf),
                                      rel=1e-9)  # fmt: skip


@pytest.mark.parametrize("relationship", PAIRWISE)
@pytest.mark.parametrize("theta", [0.0, 0.03])
def test_elementwise_kappa_values_equal_the_per_pair_formula(relationship, theta):
    table = kappa_values(relationship, GI[:, None], GJ[:, None], GI[None, :], GJ[None, :], P,
                         theta)  # fmt: skip
    for (x, a), (y, b) in itertools.product(enumerate(GENOTYPES), enumerate(GENOTYPES)):
        assert table[x, y] == kappa_lr(relationship, a, b, P, theta)
    p = np.array([0.2, 0.3, 0.5])
    for a, b in [((0, 0), (0, 0)), ((0, 1), (0, 1)), ((0, 1), (1, 2)), ((2, 2), (0, 1))]:
        assert float(kappa_values(relationship, *a, *b, p, theta)) == pytest.approx(
            reference_pairwise_lr(relationship, a, b, p, theta=theta), rel=1e-9
        )


TABLE = FrequencyTable.from_dict(
    {"L1": {"7": 0.2, "8": 0.8}, "L2": {"10": 0.5, "11": 0.3, "12.3": 0.2}}
)


def _people():
    def genotypes(locus):
        freqs = TABLE.loci[locus]
        alleles = list(freqs)
        for i, a in enumerate(alleles):
            for b in alleles[i:]:
                yield f"{a}/{b}", freqs[a] * freqs[b] * (1 if a == b else 2)

    for combo in itertools.product(*(list(genotypes(x)) for x in TABLE.loci)):
        yield (
            dict(zip(TABLE.loci, (g for g, _ in combo), strict=True)),
            math.prod(w for _, w in combo),
        )


@pytest.mark.parametrize("relationship", ["full-siblings", "grandparent", "avuncular"])
@pytest.mark.parametrize(
    "s",
    [KinshipSettings(), KinshipSettings(theta=0.03), KinshipSettings(mutation_model="stepwise",
                                                                     rate=0.01)],
    ids=["none", "theta", "stepwise"],
)  # fmt: skip
def test_pairwise_expected_false_hits_are_exact_for_a_tiny_table(relationship, s):
    everyone = list(_people())
    atoms = [
        (kinship_lr(relationship, a, b, TABLE, s).log10_lr, wa * wb)
        for (a, wa), (b, wb) in itertools.product(everyone, everyone)
    ]
    assert sum(w for _, w in atoms) == pytest.approx(1.0)
    values = sorted({round(v, 12) for v, _ in atoms})
    for x in [*values[::2], *(a + (b - a) / 2 for a, b in itertools.pairwise(values[::3]))]:
        expected = 1000 * sum(w for v, w in atoms if v >= x - 1e-9)
        got = expected_false_hits(TABLE, s, ["L1", "L2"], x, 1000, relationship=relationship)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), (x, relationship)


def test_a_full_sibling_and_a_grandparent_are_found_first_among_unrelated_profiles():
    """Seeded synthetic families at 20 loci of the built-in table: the true relative ranks
    first (seed 7, fixed), with its expected false-hit figure."""
    table = builtin_table("norstr-east-asia")
    settings = KinshipSettings(mutation_model="stepwise", rate=0.002, rate_female=0.0005,
                               theta=0.01)  # fmt: skip
    loci = [
        "CSF1PO", "D13S317", "D16S539", "D18S51", "D19S433", "D21S11", "D2S1338", "D3S1358",
        "D5S818", "D7S820", "D8S1179", "FGA", "Penta D", "Penta E", "TH01", "TPOX", "vWA",
        "D12S391", "D1S1656", "D2S441",
    ]  # fmt: skip
    rng = np.random.default_rng(7)

    def person():
        return {x: _allele_pair(rng, table, x) for x in loci}

    def child(father, mother):
        return {x: f"{rng.choice(father[x].split('/'))}/{rng.choice(mother[x].split('/'))}"
                for x in loci}  # fmt: skip

    grandfather, grandmother, father, mother = person(), person(), None, person()
    father = child(grandfather, grandmother)
    missing = child(father, mother)
    sibling = child(father, mother)
    index = SearchIndex(table, settings, loci=loci, min_loci=12)
    index.add_many([(f"u{i:03d}", person()) for i in range(300)] + [("missing", missing)])
    # a full sibling is strong evidence; a grandparent alone is weak (LR ~ 40 here, about one
    # unrelated profile of 301 expected to score as high): a lead, never a decision
    for relative, relationship, bound in (
        (sibling, "full-siblings", 0.01),
        (grandfather, "grandparent", 2.0),
    ):
        hits = index.kinship_search(relative, relationship, query_role="a", min_lr=10)
        assert hits[0].key == "missing", relationship
        assert hits[0].expected_false_hits < bound
        assert hits[0].lr == kinship_lr(relationship, relative, missing, table,
                                        index.pairwise_settings).lr  # fmt: skip


def _allele_pair(rng, table, locus):
    freqs = table.locus_frequencies(locus)
    alleles = list(freqs)
    p = np.array([freqs[a] for a in alleles], float)
    a, b = rng.choice(alleles, size=2, p=p / p.sum())
    return f"{a}/{b}"
