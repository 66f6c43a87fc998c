"""Imports: whole or nothing, searched at once against the other side only (R-DNA-3)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fanguai.audit.models import AuditEvent
from fanguai.dna import index as idx
from fanguai.dna import service
from fanguai.dna.models import (
    CandidateMatch,
    Couple,
    DnaImport,
    DnaProfile,
    IndexChange,
    Specimen,
)
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.kinship import kinship_lr
from tests.dna.helpers import Family, as_profile, long, wide

KIT = "Test kit 22"


def _counts(session) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(
        session.execute(select(func.count()).select_from(m)).scalar_one()
        for m in (Specimen, DnaProfile, Couple, CandidateMatch, DnaImport, IndexChange)
    )


def _index_sizes(session, crypto) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    indexes = idx.indexes_for(session, crypto)
    return len(indexes.reference), indexes.reference.couples, len(indexes.unknown)


def test_a_refused_import_leaves_the_store_and_the_indexes_untouched(
    session, analyst, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(10)
    father, mother = fam.person(), fam.person()
    child = fam.child(father, mother)
    good = [("T-F", "father", "K", father), ("T-M", "mother", "K", mother)]
    bad_child = dict(child)
    bad_child["TH01"] = ("abc", "7")
    before, sizes = _counts(session), _index_sizes(session, field_crypto)
    with pytest.raises(service.ImportRefused) as refused:
        service.import_lab_file(
            session,
            actor=analyst,
            text=wide([*good, ("T-U", "unknown_child", "", bad_child)]),
            layout="wide",
            kit=KIT,
        )
    assert [(e.row, e.sample, e.locus, e.code) for e in refused.value.errors] == [
        (4, "T-U", "TH01", "malformed")
    ]
    assert "abc" not in refused.value.message  # the audit log gets the place, not the value
    assert _counts(session) == before
    assert _index_sizes(session, field_crypto) == sizes
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "dna.import")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.outcome == "failed" and "row 4" in event.message and "abc" not in event.message


def test_every_new_specimen_is_searched_at_once_and_pairs_are_compared_once(
    session, analyst, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(11)
    father, mother = fam.person(), fam.person()
    child = fam.child(father, mother)
    first = service.import_lab_file(
        session,
        actor=analyst,
        text=long([("N-U", "unknown_child", "", child)]),
        layout="long",
        kit=KIT,
    )
    (child_specimen,) = first.specimens
    assert all(m.child_id == child_specimen.id for m in first.matches)
    # The parents arrive later, as a couple: their search finds the child at once.
    second = service.import_lab_file(
        session,
        actor=analyst,
        text=long([("N-F", "father", "Q", father), ("N-M", "mother", "Q", mother)]),
        layout="long",
        kit=KIT,
    )
    found = [m for m in second.matches if m.child_id == child_specimen.id]
    assert {(m.relationship, m.rank) for m in found} == {
        ("parent-child", 1),
        ("parents", 1),
    } and len(found) == 3
    couple = next(m for m in found if m.relationship == "parents")
    assert couple.query.lab_ref == "N-F" and couple.couple.mother.lab_ref == "N-M"
    assert couple.candidate == child_specimen
    listed = service.candidates_for(
        session, actor=analyst, specimen_public_id=child_specimen.public_id
    )
    assert listed[0].relationship == "parents" and listed[0].log10_lr > 10


def test_within_one_import_each_pair_is_compared_once_from_the_unknown_side(
    session, analyst
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(12)
    father = fam.person()
    child = fam.child(father, None)
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide([("B-F", "father", "", father), ("B-U", "rescued_victim", "", child)]),
        layout="wide",
        kit=KIT,
    )
    pairs = [m for m in result.matches if m.child.lab_ref == "B-U" and m.parent_id is not None]
    assert [(m.parent.lab_ref, m.query.lab_ref) for m in pairs if m.parent.lab_ref == "B-F"] == [
        ("B-F", "B-U")
    ]


def test_a_specimen_is_never_compared_with_its_own_side(session, analyst, field_crypto) -> None:  # type: ignore[no-untyped-def]
    fam = Family(13)
    someone = fam.person()
    # The same profile twice on each side: a perfect "match" that no search may look for.
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide(
            [
                ("S-F1", "father", "", someone),
                ("S-F2", "father", "", someone),
                ("S-U1", "unknown_child", "", someone),
                ("S-U2", "unidentified", "", someone),
            ]
        ),
        layout="wide",
        kit=KIT,
    )
    for m in result.matches:
        assert m.child.side == "unknown" and m.parent.side == "reference"
    refs = {(m.child.lab_ref, m.parent.lab_ref) for m in result.matches}
    assert ("S-U1", "S-F1") in refs  # identical profiles are a perfect parent–child fit
    indexes = idx.indexes_for(session, field_crypto)
    by_ref = {s.lab_ref: s.public_id for s in result.specimens}
    assert by_ref["S-F1"] in indexes.reference and by_ref["S-F1"] not in indexes.unknown
    assert by_ref["S-U1"] in indexes.unknown and by_ref["S-U1"] not in indexes.reference


def test_a_relative_without_a_relation_or_with_an_unknown_one_is_refused_with_its_row(
    session, analyst
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(14)
    rows = [
        ("R-1", "relative", "", fam.person()),
        ("R-2", "亲属", "", fam.person()),
        ("R-3", "father", "", fam.person()),
        ("R-4", "relative", "", fam.person()),
    ]
    relations = {"R-2": "second cousin", "R-3": "full-siblings", "R-4": "祖父"}
    with pytest.raises(service.ImportRefused) as refused:
        service.import_lab_file(
            session, actor=analyst, text=wide(rows, relations), layout="wide", kit=KIT
        )
    found = [(e.row, e.sample, e.code) for e in refused.value.errors]
    assert found == [
        (2, "R-1", "missing_relation"),
        (3, "R-2", "unknown_relation"),
        (4, "R-3", "relation_not_relative"),
    ]
    assert session.execute(select(Specimen).where(Specimen.lab_ref == "R-4")).first() is None


def test_a_relative_is_indexed_by_relation_and_both_sides_search_each_other(
    session, analyst, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(16)
    father, mother = fam.person(), fam.person()
    missing, sibling, other = fam.child(father, mother), fam.child(father, mother), fam.person()
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide([("R-S1", "relative", "", sibling)], {"R-S1": "全同胞"}),
        layout="wide",
        kit=KIT,
    )
    (relative,) = result.specimens
    assert relative.side == "reference" and relative.relation == "full-siblings"
    indexes = idx.indexes_for(session, field_crypto)
    assert relative.public_id in indexes.relatives["full-siblings"]
    assert relative.public_id not in indexes.reference
    # the child arrives later and searches the relatives: the sibling is found first
    child = service.register_specimen(
        session, actor=analyst, kind="unknown_child", profile=as_profile(missing), kit=KIT
    )
    best = service.candidates_for(session, actor=analyst, specimen_public_id=child.public_id)[0]
    assert best.relationship == "full-siblings" and best.parent_id == relative.id
    assert best.match_class == "kin-strong" and best.rank == 1 and best.inconsistent_loci == 0
    assert best.indexed == len(indexes.relatives["full-siblings"])
    expected = kinship_lr("full-siblings", as_profile(sibling), as_profile(missing),
                          idx.store_table(), indexes.unknown.pairwise_settings)  # fmt: skip
    assert best.lr == expected.lr
    # a relation given by its English name is stored as the engine's; a relative arriving later
    # searches the unknown side and finds the child
    uncle = service.register_specimen(
        session, actor=analyst, kind="relative", relation="uncle",
        profile=as_profile(fam.child(*(fam.person(), fam.person()))), kit=KIT,
    )  # fmt: skip
    assert uncle.relation == "avuncular"
    again = service.register_specimen(
        session, actor=analyst, kind="relative", relation="full-siblings",
        profile=as_profile(sibling | {"FGA": other["FGA"]}), kit=KIT,
    )  # fmt: skip
    mine = service.candidates_for(session, actor=analyst, specimen_public_id=again.public_id)
    assert mine[0].child_id == child.id and mine[0].query_id == again.id
    assert mine[0].relationship == "full-siblings"


def test_the_single_specimen_api_refuses_a_relation_for_other_kinds(session, analyst) -> None:  # type: ignore[no-untyped-def]
    fam = Family(17)
    with pytest.raises(InvalidInput) as refused:
        service.register_specimen(
            session, actor=analyst, kind="father", relation="grandparent",
            profile=as_profile(fam.person()), kit=KIT,
        )  # fmt: skip
    assert refused.value.field == "relation"
    with pytest.raises(InvalidInput, match="unknown relation") as refused:
        service.register_specimen(
            session, actor=analyst, kind="relative", relation="neighbour",
            profile=as_profile(fam.person()), kit=KIT,
        )  # fmt: skip
    assert refused.value.field == "relation"


def test_a_lab_number_already_stored_for_the_lab_is_refused(session, analyst) -> None:  # type: ignore[no-untyped-def]
    from fanguai.dna.demo import DEMO_LAB, DEMO_TRUTH

    fam = Family(15)
    with pytest.raises(service.ImportRefused) as refused:
        service.import_lab_file(
            session,
            actor=analyst,
            text=wide([(DEMO_TRUTH[0].child, "unknown_child", "", fam.person())]),
            layout="wide",
            kit=KIT,
            lab=DEMO_LAB,
        )
    assert [e.code for e in refused.value.errors] == ["taken"]


def test_only_dna_staff_import(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    fam = Family(16)
    with pytest.raises(Forbidden):
        service.import_lab_file(
            session,
            actor=actor_of("gusu.police"),
            text=wide([("P-1", "father", "", fam.person())]),
            layout="wide",
            kit=KIT,
        )


def test_one_specimen_registered_with_a_partner_becomes_a_couple_and_is_linked(
    session, analyst, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    fam = Family(17)
    father, mother = fam.person(), fam.person()
    child = fam.child(father, mother)
    service.register_specimen(
        session, actor=analyst, kind="unknown_child", profile=as_profile(child), kit=KIT
    )
    dad = service.register_specimen(
        session, actor=analyst, kind="father", profile=as_profile(father), kit=KIT,
        link={"subject_type": "missing_case", "subject_id": "case-1", "relation": "father"},
    )  # fmt: skip
    mum = service.register_specimen(
        session,
        actor=analyst,
        kind="mother",
        profile=as_profile(mother),
        kit=KIT,
        couple_with=dad.public_id,
        lab_ref="MUM-77",
    )
    (couple,) = service.couples_of(session, mum)
    assert couple.father_id == dad.id and mum.lab_ref == "MUM-77"
    assert idx.indexes_for(session, field_crypto).reference.has_couple(couple.public_id)
    matches = service.candidates_for(session, actor=analyst, specimen_public_id=mum.public_id)
    assert any(m.couple_id == couple.id and m.rank == 1 for m in matches)
    linked = service.specimens_of(
        session, actor=analyst, subject_type="missing_case", subject_id="case-1"
    )
    assert [s.public_id for s in linked] == [dad.public_id]
    with pytest.raises(Conflict):
        service.register_specimen(
            session, actor=analyst, kind="mother", profile=as_profile(fam.person()), kit=KIT,
            couple_with=dad.public_id,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"D3S1358": "16-17"}, "profile.D3S1358"),
        ({"XYZ123": "12/13"}, "profile.XYZ123"),
        ({"D6S1043": "12-13"}, "profile.D6S1043"),  # no frequencies, but checked
    ],
)
def test_a_single_profile_is_checked_like_a_lab_file(session, analyst, change, field) -> None:  # type: ignore[no-untyped-def]
    profile = as_profile(Family(18).person())
    profile.update(change)
    with pytest.raises(InvalidInput) as bad:
        service.register_specimen(session, actor=analyst, kind="father", profile=profile, kit=KIT)
    assert bad.value.field == field and field.split(".")[1] in bad.value.message


def test_a_profile_with_too_few_loci_cannot_be_registered(session, analyst) -> None:  # type: ignore[no-untyped-def]
    profile = dict(list(as_profile(Family(19).person()).items())[:11])
    with pytest.raises(InvalidInput, match="11 loci with frequencies typed; at least 12"):
        service.register_specimen(
            session, actor=analyst, kind="unknown_child", profile=profile, kit=KIT
        )


def test_another_process_replays_the_change_log(session, analyst, field_crypto) -> None:  # type: ignore[no-untyped-def]
    other = idx.StoreIndexes(idx.store_table(), idx.SETTINGS)
    idx._build(session, field_crypto, other)  # a second process, built before the import
    fam = Family(20)
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide(
            [("P-F", "father", "", fam.person()), ("P-U", "unknown_child", "", fam.person())]
        ),
        layout="wide",
        kit=KIT,
    )
    keys = {s.public_id for s in result.specimens}
    assert not keys & set(other.where)
    assert idx.refresh(session, field_crypto, other) == 2
    assert keys <= set(other.where)
    assert idx.refresh(session, field_crypto, other) == 0  # replaying again changes nothing
