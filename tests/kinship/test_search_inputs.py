"""The index: adding, replacing, removing, couples, size; precise errors for bad input."""

from __future__ import annotations

import pytest

from fanguai.kinship import (
    FrequencyTable,
    InsufficientLoci,
    InvalidCase,
    InvalidSettings,
    KinshipError,
    KinshipSettings,
    MalformedAllele,
    MissingFrequencies,
    SearchIndex,
    UnknownLocus,
    builtin_table,
    duo_lr,
)
from fanguai.kinship._synthetic import CHINESE_PANEL

TABLE = FrequencyTable.from_dict(
    {f"L{k}": {"1": 0.2, "2": 0.3, "3": 0.5} for k in range(5)}, name="tiny"
)
FATHER = {"L0": "1/2", "L1": "1/1", "L2": "2/3", "L3": "3/3", "L4": "1/3"}
CHILD = {"L0": "1/3", "L1": "1/2", "L2": "3/3", "L3": "2/3", "L4": "3/3"}
STRANGER = {"L0": "2/2", "L1": "2/2", "L2": "1/1", "L3": "1/1", "L4": "2/2"}
MOTHER = {"L0": "3/3", "L1": "2/2", "L2": "1/3", "L3": "2/2", "L4": "2/3"}


def index(**kwargs) -> SearchIndex:
    return SearchIndex(TABLE, KinshipSettings(), min_loci=kwargs.pop("min_loci", 3), **kwargs)


def test_add_search_replace_and_remove():
    idx = index()
    idx.add("f", FATHER)
    idx.add_many([("s", STRANGER), ("t", STRANGER | {"L0": "2/3"})])
    assert len(idx) == 3 and "f" in idx and "x" not in idx
    assert [h.key for h in idx.duo_search(CHILD)] == ["f"]
    idx.add("f", STRANGER)  # the same key replaces the profile
    assert len(idx) == 3 and idx.duo_search(CHILD) == []
    idx.add("f", FATHER)
    idx.remove("f")
    assert "f" not in idx and len(idx) == 2 and idx.duo_search(CHILD) == []
    idx.add("g", FATHER)  # the freed slot is reused
    assert idx._profiles.used == 3
    assert [h.key for h in idx.duo_search(CHILD)] == ["g"]
    with pytest.raises(KeyError):
        idx.remove("nobody")


def test_parse_profile_output_and_locus_spellings_are_accepted():
    table = builtin_table("norstr-east-asia")
    idx = SearchIndex(table, KinshipSettings(), loci=["vWA", "Penta D", "TH01"], min_loci=2)
    idx.add("p", {"VWA": "17/18", "PENTA_D": ("12", "13"), "th 01": "9", "AMEL": "X/Y"})
    [hit] = idx.duo_search({"vWA": "14/17", "Penta D": "9/12", "TH01": "7/9"})
    assert hit.key == "p" and hit.loci == ("Penta D", "TH01", "vWA")
    assert idx.loci == ("vWA", "Penta D", "TH01")


def test_loci_outside_the_index_are_ignored_and_the_default_is_every_table_locus():
    idx = SearchIndex(TABLE, KinshipSettings(), loci=["L0", "L1", "L2"], min_loci=3)
    idx.add("f", FATHER | {"L9": "1/2"})
    [hit] = idx.duo_search(CHILD)
    assert hit.loci_compared == 3
    assert SearchIndex(TABLE, KinshipSettings(), min_loci=5).loci == ("L0", "L1", "L2", "L3", "L4")


def test_the_index_uses_two_bytes_per_locus_per_profile():
    idx = index()
    idx.add_many((f"k{i}", FATHER) for i in range(5000))
    assert idx.nbytes_per_profile <= 2 * 5 * 8192 / 5000  # two tiles of 4096 rows
    assert idx.nbytes_per_profile >= 2 * 5


def test_couples_are_stored_apart_from_profiles():
    idx = index()
    idx.add_couple("fam", FATHER, MOTHER)
    assert idx.couples == 1 and idx.has_couple("fam") and len(idx) == 0 and "fam" not in idx
    idx.add_couple("other", STRANGER, MOTHER)
    [hit] = idx.parents_search(CHILD)
    assert hit.key == "fam" and hit.relationship == "parents" and hit.inconsistent_loci == 0
    assert idx.duo_search(CHILD) == []
    idx.remove("fam")
    assert idx.couples == 1 and idx.parents_search(CHILD) == []


def test_a_query_with_too_few_loci_names_the_count_and_the_loci():
    idx = index(min_loci=4)
    idx.add("f", FATHER)
    with pytest.raises(InsufficientLoci) as err:
        idx.duo_search({"L0": "1/2", "L3": "1/1", "X9": "1/1"})
    assert str(err.value) == (
        "query: 2 of the index's 5 loci typed (L0, L3); a search needs at least 4"
    )
    with pytest.raises(InsufficientLoci, match=r"query 1: 0 of the index's 5 loci typed \(none\)"):
        idx.duo_search_batch([CHILD, {}])
    with pytest.raises(InsufficientLoci, match="child: 1 of"):
        idx.parents_search({"L0": "1/1"})


def test_a_stored_profile_with_too_few_loci_is_refused_naming_its_key():
    idx = index(min_loci=4)
    with pytest.raises(InsufficientLoci, match="profile 'weak': 3 of the index's 5 loci"):
        idx.add("weak", {"L0": "1/1", "L1": "1/1", "L2": "1/1"})
    with pytest.raises(InsufficientLoci, match="couple 'fam' mother: 1 of"):
        idx.add_couple("fam", FATHER, {"L0": "1/1"})
    assert len(idx) == 0 and idx.couples == 0


def test_add_many_stores_nothing_when_one_profile_is_bad():
    idx = index()
    with pytest.raises(MalformedAllele, match="profile 'b': locus L1: genotype '1-2'"):
        idx.add_many([("a", FATHER), ("b", FATHER | {"L1": "1-2"}), ("c", CHILD)])
    assert len(idx) == 0


@pytest.mark.parametrize(
    ("profile", "error", "message"),
    [
        ({"L0": "1/2/3"}, MalformedAllele, "query: locus L0: genotype '1/2/3' has 3 alleles"),
        ({"L0": "", "L1": "1"}, MalformedAllele, "query: locus L0: empty genotype"),
        ({"L0": "1/1", "l0": "1/1"}, MalformedAllele, "locus L0 is given twice"),
        ({"L#": "1/1"}, UnknownLocus, "'L#'"),
        ("L0=1/1", MalformedAllele, "a profile must map locus names"),
    ],
)
def test_malformed_queries_are_refused_precisely(profile, error, message):
    idx = index()
    idx.add("f", FATHER)
    with pytest.raises(error, match=message):
        idx.duo_search(profile)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"max_inconsistent": -1}, "max_inconsistent"),
        ({"min_lr": 0}, "min_lr"),
        ({"min_lr": float("nan")}, "min_lr"),
        ({"query_role": "uncle"}, "query_role"),
    ],
)
def test_search_limits_are_validated_naming_the_field(kwargs, field):
    idx = index()
    with pytest.raises(InvalidSettings, match=field):
        idx.duo_search(CHILD, **kwargs)


def test_a_batch_must_be_a_list_of_profiles():
    with pytest.raises(InvalidCase, match="list of profiles"):
        index().duo_search_batch(CHILD)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"loci": ["L0", "L7", "L8"]}, MissingFrequencies, "no frequencies for L7, L8"),
        ({"loci": ["L0", "l0"]}, InvalidSettings, "L0 listed twice"),
        ({"loci": []}, InvalidSettings, "at least one locus"),
        ({"loci": "L0"}, InvalidSettings, "list of locus names"),
        ({"min_loci": 0}, InvalidSettings, "min_loci"),
        (
            {"min_loci": 6},
            InvalidSettings,
            "min_loci must be a whole number from 1 to the index's 5",
        ),
    ],
)
def test_bad_index_construction_is_refused_precisely(kwargs, error, message):
    with pytest.raises(error, match=message):
        SearchIndex(TABLE, KinshipSettings(), **({"min_loci": 3} | kwargs))


def test_keys_must_be_non_empty_strings():
    with pytest.raises(InvalidCase, match="non-empty string"):
        index().add("", FATHER)
    with pytest.raises(InvalidCase, match="non-empty string"):
        index().add(7, FATHER)


def test_alleles_met_later_extend_the_dictionaries_without_disturbing_stored_rows():
    s = KinshipSettings(mutation_model="stepwise", rate=0.01)
    idx = SearchIndex(TABLE, s, min_loci=3)
    idx.add("f", FATHER)
    before = idx.duo_search(CHILD, min_lr=1e-6)
    idx.add("odd", FATHER | {"L0": "4/17.1", "L1": "1/9"})
    after = idx.duo_search(CHILD, min_lr=1e-6)
    [f] = [h for h in after if h.key == "f"]
    assert (f.lr, f.log10_lr, f.loci) == (before[0].lr, before[0].log10_lr, before[0].loci)
    [odd] = [h for h in after if h.key == "odd"]
    assert odd.lr == duo_lr(CHILD, FATHER | {"L0": "4/17.1", "L1": "1/9"}, TABLE, s).lr


def test_errors_are_kinship_errors_and_value_errors():
    assert issubclass(InsufficientLoci, KinshipError) and issubclass(InsufficientLoci, ValueError)


def test_the_chinese_panel_has_nineteen_loci():
    assert len(CHINESE_PANEL) == 19 and len(set(CHINESE_PANEL)) == 19


def test_three_inconsistent_loci_exclude_two_do_not_under_a_mutation_model():
    two = FATHER | {"L0": "2/2", "L2": "1/2"}  # shares no allele with the child at L0, L2
    three = two | {"L4": "2/2"}
    for model, expected in (("stepwise", ["two"]), ("none", [])):
        idx = SearchIndex(TABLE, KinshipSettings(mutation_model=model, rate=0.01), min_loci=5)
        idx.add_many([("two", two), ("three", three)])
        hits = idx.duo_search(CHILD, min_lr=1e-12)
        assert [h.key for h in hits] == expected
        assert all(h.inconsistent_loci == 2 for h in hits)
    hits = idx_with_mutation(two, three).duo_search(CHILD, min_lr=1e-12, max_inconsistent=3)
    assert [(h.key, h.inconsistent_loci) for h in hits] == [("two", 2), ("three", 3)]
    assert idx_with_mutation(two, three).duo_search(CHILD, min_lr=1e-12, max_inconsistent=1) == []


def idx_with_mutation(two, three):
    idx = SearchIndex(TABLE, KinshipSettings(mutation_model="stepwise", rate=0.01), min_loci=5)
    idx.add_many([("two", two), ("three", three)])
    return idx


def test_hits_come_best_first_ties_by_key_and_at_most_top_k():
    idx = index()
    idx.add_many([("b", FATHER), ("a", FATHER), ("c", FATHER | {"L1": "1/2"})])
    hits = idx.duo_search(CHILD)
    assert [h.key for h in hits] == ["a", "b", "c"]
    assert hits[0].lr == hits[1].lr > hits[2].lr
    assert [h.key for h in idx.duo_search(CHILD, top_k=2)] == ["a", "b"]
    assert [h.key for h in idx.duo_search(CHILD, min_lr=hits[0].lr)] == ["a", "b"]
    assert idx.duo_search(CHILD, min_lr=hits[0].lr * 1.0001) == []
