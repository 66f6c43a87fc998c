"""A known locus the store's table lacks (D6S1043, typed by most Chinese kits): stored, shown
with a note, reported once per file as a notice, and never searched or computed with."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from fanguai.dna import index as idx
from fanguai.dna import service
from fanguai.dna.demo import DEMO_LOCI
from fanguai.dna.labfile import read_lab_file
from fanguai.dna.models import DnaProfile
from fanguai.errors import InvalidInput
from fanguai.kinship import duo_lr, parents_lr
from tests.dna.helpers import Family, as_profile, wide

EXTRA = "D6S1043"
TABLE = idx.store_table()


def _read(text: str, layout: str):  # type: ignore[no-untyped-def]
    return read_lab_file(text, layout, TABLE, min_loci=idx.MIN_LOCI)


def _wide_d6(rows: list[tuple[str, str, str, dict]], d6: dict[str, str]) -> str:
    """``wide`` with a D6S1043 column (``d6``: sample → its cell)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["sample", "kind", "couple", EXTRA, *DEMO_LOCI])
    for ref, kind, couple, g in rows:
        w.writerow([ref, kind, couple, d6.get(ref, ""), *("/".join(g[x]) for x in DEMO_LOCI)])
    return out.getvalue()


def test_the_table_lacks_the_locus_so_this_test_means_something() -> None:
    assert not TABLE.has_locus(EXTRA) and EXTRA not in DEMO_LOCI


def test_the_locus_is_accepted_with_one_notice_per_file_in_either_form() -> None:
    fam = Family(501)
    a, b = fam.person(), fam.person()
    wide_text = _wide_d6([("N-1", "father", "", a), ("N-2", "mother", "", b)], {"N-1": "11/12"})
    long_text = "sample,kind,locus,allele1,allele2\n" + "".join(
        f"{ref},{kind},{x},{g[x][0]},{g[x][1]}\n"
        for ref, kind, g in (("N-1", "father", a), ("N-2", "mother", b))
        for x in DEMO_LOCI
    )
    long_text += "N-1,father,D6S1043,11,12\nN-2,mother,d6s1043,13,\n"
    for text, layout in ((wide_text, "wide"), (long_text, "long")):
        result = _read(text, layout)
        assert result.errors == []
        assert result.samples[0].profile()[EXTRA] == "11/12"
        assert [n.to_dict() for n in result.notices] == [
            {
                "locus": EXTRA,
                "code": "no_frequencies",
                "message": "the frequency table 'norstr-east-asia' has no frequencies for "
                "this locus; its allele calls are stored but not searched or compared",
            }
        ]
    assert _read(wide([("N-1", "father", "", a)]), "wide").notices == []


def test_a_malformed_allele_of_the_locus_is_still_an_error_and_an_unknown_locus_too() -> None:
    fam = Family(502)
    bad = _read(_wide_d6([("N-1", "father", "", fam.person())], {"N-1": "12-13"}), "wide")
    assert [(e.row, e.sample, e.locus, e.code) for e in bad.errors] == [
        (2, "N-1", EXTRA, "malformed")
    ]
    unknown = _read("sample,kind,D3S1358,D6S9999\nA,father,15/16,12\n", "wide")
    assert [(e.row, e.locus, e.code) for e in unknown.errors] == [(1, "D6S9999", "unknown_locus")]


def test_only_loci_with_frequencies_count_toward_the_minimum() -> None:
    person = Family(503).person()
    eleven = {x: person[x] for x in list(DEMO_LOCI)[:11]}
    text = "sample,kind," + ",".join([*eleven, EXTRA]) + "\n"
    text += "S-1,father," + ",".join([*("/".join(g) for g in eleven.values()), "12/13"]) + "\n"
    result = _read(text, "wide")
    assert [(e.row, e.code) for e in result.errors] == [(2, "too_few_loci")]
    assert "11 loci with frequencies typed; at least 12" in str(result.errors[0])
    twelve = {x: person[x] for x in list(DEMO_LOCI)[:12]}
    text = "sample,kind," + ",".join(twelve) + "\nS-1,father,"
    assert _read(text + ",".join("/".join(g) for g in twelve.values()) + "\n", "wide").errors == []


@pytest.fixture
def trio(session, analyst):  # type: ignore[no-untyped-def]
    fam = Family(504)
    father, mother = fam.person(), fam.person()
    child = fam.child(father, mother)
    rows = [
        ("D6-F", "father", "D6", father),
        ("D6-M", "mother", "D6", mother),
        ("D6-U", "unknown_child", "", child),
    ]
    # D6S1043 calls that would exclude paternity if they were compared
    text = _wide_d6(rows, {"D6-F": "11/11", "D6-M": "12/12", "D6-U": "19/20"})
    result = service.import_lab_file(session, actor=analyst, text=text, layout="wide", kit="kit")
    return result, father, mother, child


def test_the_import_stores_the_locus_and_searches_without_it(session, analyst, trio) -> None:  # type: ignore[no-untyped-def]
    result, father, mother, child = trio
    assert [n.locus for n in result.notices] == [EXTRA]
    by_ref = {s.lab_ref: s for s in result.specimens}
    stored = service.read_profile(session, actor=analyst, specimen=by_ref["D6-U"])
    assert stored[EXTRA] == "19/20" and len(stored) == 23
    count = session.execute(
        select(DnaProfile.locus_count).where(DnaProfile.specimen_id == by_ref["D6-U"].id)
    ).scalar_one()
    assert count == 23
    # the same LRs as the same file without the column: the engine on the table's loci only
    duo = next(
        m
        for m in result.matches
        if m.relationship == "parent-child" and m.parent_id == by_ref["D6-F"].id
    )
    expected = duo_lr(as_profile(child), as_profile(father), TABLE, idx.SETTINGS)
    assert duo.lr == pytest.approx(expected.lr) and duo.loci_compared == 22
    both = next(m for m in result.matches if m.relationship == "parents")
    expected = parents_lr(
        as_profile(child), as_profile(father), as_profile(mother), TABLE, idx.SETTINGS
    )
    assert both.lr == pytest.approx(expected.lr) and both.match_class == "strong"


def test_a_freshly_built_index_leaves_the_locus_out(session, analyst, field_crypto, trio) -> None:  # type: ignore[no-untyped-def]
    result, father, _, child = trio
    other = idx.StoreIndexes(idx.store_table(), idx.SETTINGS)
    idx._build(session, field_crypto, other)  # another process, after the import
    by_ref = {s.lab_ref: s.public_id for s in result.specimens}
    assert by_ref["D6-U"] in other.where and "D6" not in str(other.where.values())
    hits = other.unknown.duo_search(as_profile(father), query_role="parent")
    hit = next(h for h in hits if h.key == by_ref["D6-U"])
    expected = duo_lr(as_profile(child), as_profile(father), TABLE, idx.SETTINGS)
    assert hit.lr == pytest.approx(expected.lr)


def test_the_match_detail_and_a_retest_compute_without_the_locus(session, analyst, trio) -> None:  # type: ignore[no-untyped-def]
    result, _, _, child = trio
    match = next(m for m in result.matches if m.relationship == "parents")
    detail = service.match_detail(session, actor=analyst, match=match)
    assert detail.result.lr == pytest.approx(match.lr) and len(detail.result.loci) == 22
    assert all(EXTRA not in g for g in detail.genotypes.values())
    fresh = as_profile(child)
    fresh[EXTRA] = "9/10"  # differs from the stored call: neither counted nor compared
    row = service.retest(session, actor=analyst, match_public_id=match.public_id, profile=fresh)
    assert row.agrees and row.lr == pytest.approx(match.lr) and row.discordant_loci == 0
    fresh[EXTRA] = "9-10"
    with pytest.raises(InvalidInput, match=EXTRA):
        service.retest(session, actor=analyst, match_public_id=match.public_id, profile=fresh)


def test_a_single_profile_with_the_locus_is_registered_and_searched(session, analyst, trio) -> None:  # type: ignore[no-untyped-def]
    result, father, _, child = trio
    profile = as_profile(father)
    profile[EXTRA] = "14/15"
    specimen = service.register_specimen(
        session, actor=analyst, kind="father", profile=profile, kit="kit", lab_ref="D6-F2"
    )
    assert service.read_profile(session, actor=analyst, specimen=specimen)[EXTRA] == "14/15"
    child_id = next(s.public_id for s in result.specimens if s.lab_ref == "D6-U")
    found = service.candidates_for(session, actor=analyst, specimen_public_id=child_id)
    assert any(m.parent_id == specimen.id for m in found)


def test_the_api_and_the_pages_report_the_notice_and_show_the_note(login, session) -> None:  # type: ignore[no-untyped-def]
    fam = Family(505)
    father = fam.person()
    child = fam.child(father, None)
    rows = [("D6W-F", "father", "", father), ("D6W-U", "unknown_child", "", child)]
    analyst = login("suzhou.dna")
    r = analyst.post(
        "/api/dna/imports",
        json={"layout": "wide", "csv": _wide_d6(rows, {"D6W-F": "11/12"}), "kit": "kit"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["notices"] == [
        {
            "locus": EXTRA,
            "code": "no_frequencies",
            "message": "the frequency table 'norstr-east-asia' has no frequencies for this "
            "locus; its allele calls are stored but not searched or compared",
        }
    ]
    assert body["matches"] >= 1
    page = analyst.get(f"/dna/specimens/{body['specimens']['D6W-F']}")
    assert page.status_code == 200 and EXTRA in page.text
    assert page.text.count("无频率数据，不参与比对") == 1
    rows = [("D6P-F", "father", "", fam.person()), ("D6P-U", "unknown_child", "", child)]
    text = _wide_d6(rows, {"D6P-F": "11/12", "D6P-U": "13"})
    notice = "基因座 D6S1043：等位基因频率表“norstr-east-asia”没有该基因座的频率，分型已保存，但不参与比对"
    for mode, status in (("check", 200), ("import", 201)):
        page = analyst.post(
            "/dna/import", data={"layout": "wide", "kit": "kit", "mode": mode, "text": text}
        )
        assert page.status_code == status and page.text.count(notice) == 1
