"""Lab files, long and wide: every sample, or every error with its row, sample and locus."""

from __future__ import annotations

import pytest

from fanguai.dna.index import MIN_LOCI, store_table
from fanguai.dna.labfile import read_lab_file
from tests.dna.helpers import Family, long, wide

TABLE = store_table()


def _read(text: str, layout: str):  # type: ignore[no-untyped-def]
    return read_lab_file(text, layout, TABLE, min_loci=MIN_LOCI)


def _codes(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(e.row, e.sample, e.locus, e.code) for e in result.errors]


def test_the_long_and_the_wide_form_of_the_same_samples_read_alike() -> None:
    fam = Family(1)
    father, mother = fam.person(), fam.person()
    rows = [
        ("LAB-F1", "father", "C1", father),
        ("LAB-M1", "mother", "C1", mother),
        ("LAB-U1", "unknown_child", "", fam.child(father, mother)),
    ]
    from_long, from_wide = _read(long(rows), "long"), _read(wide(rows), "wide")
    assert from_long.errors == [] and from_wide.errors == []
    assert [(s.ref, s.kind, s.couple, s.genotypes) for s in from_long.samples] == [
        (s.ref, s.kind, s.couple, s.genotypes) for s in from_wide.samples
    ]
    assert from_long.samples[2].couple is None and len(from_long.samples[0].genotypes) == 22
    assert from_long.rows == 66 and from_wide.rows == 3


def test_the_nist_pair_columns_chinese_kinds_amelogenin_and_homozygous_cells_are_read() -> None:
    text = (
        "sample,类别,AMEL,D3S1358_1,D3S1358_2,TH01_1,TH01_2,vWA,FGA,TPOX,CSF1PO,D5S818,D7S820,"
        "D8S1179,D13S317,D16S539,D18S51,D21S11\n"
        "X-1,来历不明儿童,X/Y,15,16,9.3,9.3,17,22/24.2,8,10/11,12,10,13,11,9,14/16,30\n"
    )
    result = _read(text, "wide")
    assert result.errors == []
    (sample,) = result.samples
    assert sample.kind == "unknown_child"
    assert sample.genotypes["D3S1358"] == ("15", "16")
    assert sample.genotypes["TH01"] == ("9.3", "9.3")
    assert sample.genotypes["vWA"] == ("17", "17")
    assert sample.genotypes["FGA"] == ("22", "24.2")
    assert "AMEL" not in sample.genotypes and len(sample.genotypes) == 13


def _one_row_long(locus: str, a1: str, a2: str, extra: int = 13) -> str:
    fam = Family(2)
    person = fam.person()
    lines = ["sample,kind,locus,allele1,allele2"]
    for x in list(person)[:extra]:
        lines.append(f"S-1,father,{x},{person[x][0]},{person[x][1]}")
    lines.append(f"S-1,father,{locus},{a1},{a2}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("locus", "a1", "a2", "code", "named"),
    [
        ("D99S999", "12", "13", "unknown_locus", "D99S999"),
        ("D6S1043", "12-13", "", "malformed", "D6S1043"),  # stored, not compared: still checked
        ("Penta_E", "16-17", "", "malformed", "Penta E"),
        ("Penta E", "abc", "12", "malformed", "Penta E"),
        ("Penta E", "12", "13/14", "malformed", "Penta E"),
    ],
)
def test_a_bad_locus_or_allele_is_named_with_its_row(locus, a1, a2, code, named) -> None:  # type: ignore[no-untyped-def]
    result = _read(_one_row_long(locus, a1, a2), "long")
    assert _codes(result) == [(15, "S-1", named, code)]
    assert named in str(result.errors[0]) and "row 15" in str(result.errors[0])
    if code == "malformed":  # where, never the rejected value
        assert a1 not in result.errors[0].message


def test_a_profile_with_too_few_loci_is_refused_naming_the_sample_and_its_first_row() -> None:
    text = _one_row_long("Penta E", "12", "13", extra=10)  # 11 loci
    result = _read(text, "long")
    assert _codes(result) == [(2, "S-1", None, "too_few_loci")]
    assert "11 loci with frequencies typed; at least 12" in str(result.errors[0])


def test_every_error_of_the_file_is_reported_not_only_the_first() -> None:
    fam = Family(3)
    person = fam.person()
    rows = [("A-1", "father", "", person), ("A-2", "mother", "", fam.person())]
    text = wide(rows).replace("/".join(person["FGA"]), "22-23", 1)
    text += "A-3,uncle,," + ",".join("/".join(person[x]) for x in person) + "\n"
    text += "张三,mother,," + ",".join("/".join(person[x]) for x in person) + "\n"
    text += "320508198506011234,mother,," + ",".join("/".join(person[x]) for x in person) + "\n"
    text += "A-2,mother,," + ",".join("/".join(person[x]) for x in person) + "\n"
    result = _read(text, "wide")
    assert _codes(result) == [
        (2, "A-1", "FGA", "malformed"),
        (4, "A-3", None, "unknown_kind"),
        (5, None, None, "bad_ref"),
        (6, None, None, "id_like_ref"),
        (7, "A-2", None, "duplicate_sample"),
    ]
    assert result.samples and all(s.ref != "A-3" for s in result.samples)
    assert "张三" not in str(result.errors) and "320508198506011234" not in str(result.errors)


def test_an_unknown_locus_in_the_wide_header_is_named_on_row_1() -> None:
    result = _read("sample,kind,D3S1358,XYZ-1\nA,father,15/16,12\n", "wide")
    assert _codes(result) == [(1, None, "XYZ-1", "unknown_locus")]


def test_a_couple_must_be_one_father_and_one_mother() -> None:
    fam = Family(4)
    rows = [("F-1", "father", "K", fam.person()), ("F-2", "father", "K", fam.person())]
    result = _read(wide(rows), "wide")
    assert _codes(result) == [(2, "F-1", None, "couple_members")]


def test_a_locus_given_twice_and_a_sample_changing_kind_are_row_errors() -> None:
    text = _one_row_long("CSF1PO", "10", "11")  # CSF1PO is already among the first 13
    text += "S-1,mother,TH01,6,7\n"
    result = _read(text, "long")
    codes = _codes(result)
    assert (15, "S-1", "CSF1PO", "typed_twice") in codes
    assert (16, "S-1", None, "inconsistent_sample") in codes


@pytest.mark.parametrize(
    ("text", "layout", "code"),
    [
        ("", "long", "empty_file"),
        ("sample,kind,locus\nA,father,TH01\n", "long", "missing_alleles"),
        ("kind,locus,allele1\nfather,TH01,6\n", "long", "missing_column"),
        ("sample,kind\nA,father\n", "tall", "layout"),
    ],
)
def test_a_file_without_the_needed_columns_is_refused_as_a_whole(text, layout, code) -> None:  # type: ignore[no-untyped-def]
    assert [e.code for e in _read(text, layout).errors] == [code]
