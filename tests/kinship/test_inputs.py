"""Parsers, locus normalisation, validation messages, settings, mutation matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fanguai.kinship import (
    FrequencyTable,
    InvalidCase,
    InvalidSettings,
    KinshipError,
    KinshipSettings,
    MalformedAllele,
    MissingFrequencies,
    UnknownLocus,
    __version__,
    builtin_table,
    compute_lr,
    duo_lr,
    kinship_lr,
    mutation_matrix,
    normalise_locus,
    parse_genotype,
    parse_profile,
)

SHARED = Path("/work/shared/kinship/frequencies")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("vWA", "vWA"),
        ("VWA", "vWA"),
        ("Penta D", "Penta D"),
        ("Penta_D", "Penta D"),
        ("PentaD", "Penta D"),
        ("PENTA D", "Penta D"),
        ("d21s11", "D21S11"),
        ("TH 01", "TH01"),
        ("TH01", "TH01"),
    ],
)
def test_locus_names_from_different_kits_normalise_to_one_form(raw, canonical):
    assert normalise_locus(raw) == canonical


@pytest.mark.parametrize("raw", ["", "  ", "D3S1358!", 7])
def test_invalid_locus_names_are_unknown_loci(raw):
    with pytest.raises(UnknownLocus, match="locus name"):
        normalise_locus(raw)


@pytest.mark.parametrize(
    ("value", "alleles"),
    [
        ("15/16", ("15", "16")),
        ("16,15", ("15", "16")),
        (["15", "16"], ("15", "16")),
        ("15", ("15", "15")),
        ("9.3/10", ("9.3", "10")),
        ("17.2/17", ("17", "17.2")),
        (15, ("15", "15")),
    ],
)
def test_genotype_notations_are_accepted(value, alleles):
    assert parse_genotype("TH01", value) == alleles


@pytest.mark.parametrize("value", ["16-17", "abc", "", "15/16/17", "15/", None])
def test_malformed_genotypes_name_the_locus_and_value(value):
    with pytest.raises(MalformedAllele) as exc:
        parse_profile({"D3S1358": value}, "child")
    assert "D3S1358" in str(exc.value)
    assert "child" in str(exc.value)
    if value:
        assert repr(value) in str(exc.value)


def test_a_locus_spelled_twice_in_one_profile_is_refused():
    with pytest.raises(MalformedAllele, match="vWA"):
        parse_profile({"vWA": "15/16", "VWA": "15/16"})


def test_amelogenin_is_ignored_in_profiles():
    assert parse_profile({"Amelogenin": "X/Y", "TH01": "6/9.3"}) == {"TH01": ("6", "9.3")}


def test_norstr_text_parses_with_canonical_names():
    table = FrequencyTable.from_norstr("VWA\n14\t0.25\n15\t0.75\n\nPenta_D\n9\t1.0\n")
    assert table.loci == {"vWA": {"14": 0.25, "15": 0.75}, "Penta D": {"9": 1.0}}


def test_norstr_text_with_a_bad_line_names_the_line_and_locus():
    with pytest.raises(MissingFrequencies, match=r"line 3.*locus TH01"):
        FrequencyTable.from_norstr("TH01\n6\t0.5\n7 0.2 0.3\n")


def test_the_built_in_table_is_the_shipped_norstr_file():
    table = builtin_table("norstr-east-asia")
    assert len(table.loci) == 40  # the file holds 40 loci (the README says 50)
    assert table.loci["D1S1656"]["15.3"] == 0.002542
    assert table.has_locus("VWA") and table.has_locus("PENTA_D")
    data = Path("src/fanguai/kinship/data/norstr-east-asia-v2023.txt").read_bytes()
    assert data == (SHARED / "norstr-east-asia-v2023.txt").read_bytes()


def test_nist_csv_parses_one_population():
    table = FrequencyTable.from_file(
        SHARED / "nist1036-revised2017-allele-frequencies.csv", "Asian"
    )
    assert table.name == "Asian"
    assert "Penta D" in table.loci and "vWA" in table.loci
    assert sum(table.loci["TH01"].values()) == pytest.approx(1, abs=0.01)


def test_nist_csv_with_an_unknown_population_lists_the_known_ones():
    text = "population,locus,allele,count,total_alleles,frequency\nAsian,TH01,6,1,2,0.5\n"
    with pytest.raises(MissingFrequencies, match="Asian"):
        FrequencyTable.from_csv(text, "Han")


def test_dict_tables_reject_bad_frequencies_naming_locus_and_allele():
    with pytest.raises(MissingFrequencies, match=r"locus TH01, allele 6"):
        FrequencyTable.from_dict({"TH01": {"6": 1.5}})


def test_unobserved_alleles_take_the_floor():
    s = KinshipSettings(floor=0.01)
    result = duo_lr({"L": "7/7"}, {"L": "7/7"}, {"L": {"6": 0.5}}, s)
    assert result.lr == pytest.approx(100)


def test_a_locus_typed_in_one_profile_only_contributes_one():
    result = duo_lr({"L": "6/6", "M": "1/1"}, {"L": "6/6"}, {"L": {"6": 0.5}})
    assert result.lr == pytest.approx(2)
    assert [(x.locus, x.lr, x.informative) for x in result.loci] == [
        ("L", 2.0, True),
        ("M", 1.0, False),
    ]


def test_a_locus_missing_from_the_table_names_the_locus():
    with pytest.raises(MissingFrequencies, match="D6S1043"):
        duo_lr({"D6S1043": "11/12"}, {"D6S1043": "11/12"}, "norstr-east-asia")


def test_locus_spellings_match_across_profiles_and_tables():
    result = duo_lr({"Penta D": "9/9"}, {"PENTA_D": "9/9"}, {"pentad": {"9": 0.25}})
    assert result.lr == pytest.approx(4)
    assert result.loci[0].locus == "Penta D"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mutation_model": "bogus"}, "mutation_model"),
        ({"rate": -0.1}, "rate"),
        ({"rate_female": 2}, "rate_female"),
        ({"theta": 1}, "theta"),
        ({"floor": 0}, "floor"),
        ({"rate": "x"}, "rate"),
        ({"speed": 1}, "speed"),
    ],
)
def test_invalid_settings_name_the_field(data, field):
    with pytest.raises(InvalidSettings, match=field):
        KinshipSettings.from_dict(data)


def test_settings_round_trip_through_a_dict_and_results_carry_them():
    s = KinshipSettings(mutation_model="stepwise", rate=0.002, rate_female=0.0005, theta=0.01)
    assert KinshipSettings.from_dict(s.to_dict()) == s
    result = duo_lr({"L": "6/6"}, {"L": "6/6"}, {"L": {"6": 0.5}}, s)
    assert result.settings == s and result.engine_version == __version__ == "0.3.0"


def test_proportional_rate_above_the_bound_is_refused_naming_the_locus():
    s = KinshipSettings(mutation_model="proportional", rate=0.5)
    with pytest.raises(InvalidSettings, match="locus TH01.*bound"):
        duo_lr({"TH01": "6/6"}, {"TH01": "7/7"}, {"TH01": {"6": 0.9, "7": 0.1}}, s)


def test_stepwise_matrix_uses_gbt_weights_and_puts_the_remainder_on_the_diagonal():
    alleles = ["9", "9.3", "10", "11", "12"]
    m = mutation_matrix("stepwise", 0.002, alleles, np.full(5, 0.2))
    assert m[2, 3] == pytest.approx(0.5 * 0.002)
    assert m[2, 4] == pytest.approx(0.5 * 0.002 * 0.1)
    assert m[1, 2] == 0.0 and m[1, 0] == 0.0  # 9.3 never mutates by whole-step to 9 or 10
    assert m[1, 1] == 1.0
    assert np.allclose(m.sum(axis=1), 1.0)


def test_stepwise_duo_one_step_exclusion_is_weighted_not_zero():
    s = KinshipSettings(mutation_model="stepwise", rate=0.002)
    freqs = {"L": {"10": 0.5, "11": 0.5}}
    result = duo_lr({"L": "10/10"}, {"L": "11/11"}, freqs, s)
    # father 11/11 gives 10 with 0.5·μ per allele choice; mother gives 10 with p = 0.5
    assert result.lr == pytest.approx(0.5 * 0.002 * 0.5 / 0.25)
    assert result.inconsistent_loci == 1


def test_separate_female_rate_is_used_for_the_mother_in_a_trio():
    s = KinshipSettings(mutation_model="equal", rate=0.002, rate_female=0.0005)
    freqs = {"L": {"1": 0.5, "2": 0.5}}
    result = compute_lr(
        "parents", {"child": {"L": "1/1"}, "father": {"L": "1/1"}, "mother": {"L": "2/2"}}, freqs, s
    )
    assert result.lr == pytest.approx((1 - 0.002) * 0.0005 / 0.25)


def test_pairwise_with_mutation_and_theta_is_refused():
    s = KinshipSettings(mutation_model="equal", theta=0.01)
    with pytest.raises(InvalidSettings, match="theta"):
        kinship_lr("full-siblings", {"L": "1/1"}, {"L": "1/1"}, {"L": {"1": 0.5}}, s)


def test_full_siblings_kappa_value():
    result = kinship_lr("full-siblings", {"L": "1/1"}, {"L": "1/1"}, {"L": {"1": 0.1}})
    assert result.lr == pytest.approx(0.25 + 0.5 * 10 + 0.25 * 100)


def test_unknown_relationship_and_roles_are_refused():
    with pytest.raises(InvalidCase, match="relationship 'cousins'"):
        compute_lr("cousins", {}, {})
    with pytest.raises(InvalidCase, match="'mother' is missing"):
        compute_lr("trio", {"child": {}, "parent": {}}, {})
    assert issubclass(InvalidCase, KinshipError) and issubclass(KinshipError, ValueError)
