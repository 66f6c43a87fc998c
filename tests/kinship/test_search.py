"""Search results are those of the per-pair reference (duo_lr / parents_lr), bit for bit.

Hypothesis draws small tables, settings (every mutation model, θ), stored profiles with missing
loci and alleles the table lacks, and search limits; the reference scores every stored profile
with ``duo_lr`` / ``parents_lr``, filters and ranks (LR descending, then key), and the search
must return exactly the same hits.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanguai.kinship import (
    FrequencyTable,
    KinshipSettings,
    SearchHit,
    SearchIndex,
    duo_lr,
    expected_false_hits,
    parents_lr,
)

OFF_TABLE = ["30", "31.2"]  # alleles no table below lists
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw):
    loci = {}
    for k in range(draw(st.integers(2, 4))):
        n = draw(st.integers(2, 5))
        raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
        alleles = [str(10 + i) for i in range(n)]
        if draw(st.booleans()):
            alleles[-1] = f"{9 + n}.3"  # a microvariant
        loci[f"L{k}"] = {a: f / sum(raw) for a, f in zip(alleles, raw, strict=True)}
    return FrequencyTable.from_dict(loci)


@st.composite
def kinship_settings(draw):
    model = draw(st.sampled_from(["none", "equal", "proportional", "stepwise"]))
    rate = draw(st.sampled_from([0.002, 0.01, 0.03]))
    return KinshipSettings(
        mutation_model=model,
        rate=rate,
        rate_female=draw(st.sampled_from([None, rate / 4])),
        theta=draw(st.sampled_from([0.0, 0.03])),
    )


def profiles(draw, table, count, missing=6):
    """``count`` profiles; a locus is missing one time in ``missing + 1`` (never all of them),
    one allele in ten is off the table."""
    out = []
    for _ in range(count):
        profile = {}
        for k, (locus, freqs) in enumerate(table.loci.items()):
            if k and draw(st.integers(0, missing)) == missing:
                continue
            off = draw(st.integers(0, 9)) == 9
            a = draw(st.sampled_from(OFF_TABLE if off else list(freqs)))
            b = draw(st.sampled_from(list(freqs)))
            profile[locus] = f"{a}/{b}"
        out.append(profile)
    return out


@st.composite
def cases(draw, stored=25, queries=3):
    table = draw(tables())
    return {
        "table": table,
        "settings": draw(kinship_settings()),
        "stored": profiles(draw, table, stored),
        "queries": profiles(draw, table, queries, missing=9),
        "top_k": draw(st.sampled_from([1, 3, 50])),
        "max_inconsistent": draw(st.integers(0, 2)),
        "min_lr": draw(st.sampled_from([1e-9, 0.5, 1.0, 10.0])),
    }


def limits(case):
    return {k: case[k] for k in ("top_k", "max_inconsistent", "min_lr")}


def reference(results, case, min_loci=1):
    """Filter and rank (key, KinshipResult) pairs as the search must."""
    rows = []
    for key, r in results:
        compared = sum(x.informative for x in r.loci)
        if (
            r.inconsistent_loci <= case["max_inconsistent"]
            and compared >= min_loci
            and r.lr >= case["min_lr"]
        ):
            rows.append((-r.log10_lr, key, r.lr, r.log10_lr, r.inconsistent_loci, compared))
    rows.sort()
    return [row[1:] for row in rows[: case["top_k"]]]


def summary(hits: list[SearchHit]):
    return [(h.key, h.lr, h.log10_lr, h.inconsistent_loci, h.loci_compared) for h in hits]


def index_of(case, **kwargs) -> SearchIndex:
    index = SearchIndex(case["table"], case["settings"], min_loci=1, **kwargs)
    index.add_many((f"k{i:02d}", p) for i, p in enumerate(case["stored"]))
    return index


@PROPERTY
@given(cases())
def test_duo_search_for_a_child_equals_duo_lr_against_every_stored_parent(case):
    index = index_of(case)
    t, s = case["table"], case["settings"]
    for query in case["queries"]:
        ref = reference(
            ((f"k{i:02d}", duo_lr(query, p, t, s)) for i, p in enumerate(case["stored"])), case
        )
        assert summary(index.duo_search(query, **limits(case))) == ref


@PROPERTY
@given(cases())
def test_duo_search_for_a_parent_equals_duo_lr_against_every_stored_child(case):
    index = index_of(case)
    t, s = case["table"], case["settings"]
    for query in case["queries"]:
        ref = reference(
            ((f"k{i:02d}", duo_lr(p, query, t, s)) for i, p in enumerate(case["stored"])), case
        )
        hits = index.duo_search(query, query_role="parent", **limits(case))
        assert summary(hits) == ref


@PROPERTY
@given(cases(queries=4))
def test_a_batch_returns_what_one_query_at_a_time_returns(case):
    index = index_of(case)
    batch = index.duo_search_batch(case["queries"], **limits(case))
    assert batch == [index.duo_search(q, **limits(case)) for q in case["queries"]]


@st.composite
def couple_cases(draw):
    case = draw(cases(stored=30, queries=2))
    stored = case["stored"]
    case["couples"] = [(stored[i], stored[i + 1]) for i in range(0, len(stored), 2)]
    return case


@PROPERTY
@given(couple_cases())
def test_parents_search_equals_parents_lr_against_every_registered_couple(case):
    index = SearchIndex(case["table"], case["settings"], min_loci=1)
    for i, (f, m) in enumerate(case["couples"]):
        index.add_couple(f"c{i:02d}", f, m)
    t, s = case["table"], case["settings"]
    for child in case["queries"]:
        ref = reference(
            (
                (f"c{i:02d}", parents_lr(child, f, m, t, s))
                for i, (f, m) in enumerate(case["couples"])
            ),
            case,
        )
        assert summary(index.parents_search(child, **limits(case))) == ref


@PROPERTY
@given(couple_cases())
def test_couple_search_equals_parents_lr_against_every_stored_child(case):
    index = index_of(case)
    t, s = case["table"], case["settings"]
    father, mother = case["queries"]
    ref = reference(
        ((f"k{i:02d}", parents_lr(c, father, mother, t, s)) for i, c in enumerate(case["stored"])),
        case,
    )
    assert summary(index.couple_search(father, mother, **limits(case))) == ref


def test_hits_carry_the_engine_version_relationship_loci_and_expected_false_hits():
    table = FrequencyTable.from_dict(
        {"A": {"1": 0.1, "2": 0.9}, "B": {"1": 0.2, "2": 0.8}, "C": {"1": 0.5, "2": 0.5}}
    )
    s = KinshipSettings()
    index = SearchIndex(table, s, min_loci=2)
    index.add("father", {"A": "1/1", "B": "1/2", "C": "1/2"})
    index.add("other", {"A": "2/2", "B": "2/2", "C": "2/2"})
    index.add("partial", {"A": "1/2", "C": "1/1"})
    [hit, partial] = index.duo_search({"A": "1/2", "B": "1/1", "C": "1/1"})
    assert hit.key == "father" and hit.relationship == "parent-child"
    assert hit.loci == ("A", "B", "C") and hit.loci_compared == 3
    assert hit.lr == duo_lr({"A": "1/2", "B": "1/1", "C": "1/1"}, index_profile(), table).lr
    assert hit.expected_false_hits == pytest.approx(
        expected_false_hits(table, s, hit.loci, hit.log10_lr, len(index)), rel=1e-12
    )
    assert partial.key == "partial" and partial.loci == ("A", "C")
    assert hit.to_dict()["engine_version"] == hit.engine_version
    assert math.isclose(hit.log10_lr, math.log10(hit.lr))


def index_profile():
    return {"A": "1/1", "B": "1/2", "C": "1/2"}


@PROPERTY
@given(cases(stored=2, queries=1))
def test_an_lr_does_not_depend_on_the_order_loci_are_listed_in(case):
    t, s = case["table"], case["settings"]
    [child], parent = case["queries"], case["stored"][0]
    forward = duo_lr(child, parent, t, s)
    backward = duo_lr(dict(reversed(child.items())), dict(reversed(parent.items())), t, s)
    assert (forward.lr, forward.log10_lr) == (backward.lr, backward.log10_lr)
