"""The demo import of parents and children: every planted family is found at rank 1."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.dna import service
from fanguai.dna.demo import DEMO_TRUTH, demo_samples
from fanguai.dna.models import Specimen


def test_the_demo_plants_couples_single_parents_and_unrelated_people() -> None:
    reference, unknown, truth = demo_samples()
    assert truth == DEMO_TRUTH
    assert sum(f.couple for f in truth) == 12 and len(truth) == 18
    assert [f.relation for f in truth if f.relative] == ["full-siblings", "grandparent"]
    assert {s.kind for s in unknown} == {"unknown_child", "rescued_victim", "unidentified"}
    planted = {f.child for f in truth}
    assert len([s for s in unknown if s.ref not in planted]) == 20
    relatives = [s for s in reference if s.kind == "relative"]
    assert len(relatives) == 4 and all(s.relation for s in relatives)
    # Lab numbers do not give the families away: children and parents are numbered apart.
    assert sorted(f.child for f in truth) != [f.child for f in truth]


def test_every_planted_child_has_its_true_parents_first_with_their_expected_false_hits(
    session, analyst
) -> None:  # type: ignore[no-untyped-def]
    by_ref = {s.lab_ref: s for s in session.execute(select(Specimen)).scalars()}
    for family in DEMO_TRUTH:
        if family.relative:
            continue  # below: children found through another relative
        child = by_ref[family.child]
        matches = service.candidates_for(session, actor=analyst, specimen_public_id=child.public_id)
        best = matches[0]
        assert best.child_id == child.id and best.rank == 1, family
        if family.couple:
            assert best.relationship == "parents"
            assert (best.couple.father.lab_ref, best.couple.mother.lab_ref) == (
                family.father,
                family.mother,
            )
        else:
            assert best.relationship == "parent-child"
            assert best.parent.lab_ref == (family.father or family.mother)
        assert best.match_class == "strong"
        assert 0 < best.expected_false_hits < 1e-4, family
        assert best.loci_compared == 22 and best.indexed > 0
        assert best.engine_version and '"mutation_model": "stepwise"' in best.settings
        # The parents are also found one by one: the top of the child's parent–child search.
        parents = {p for p in (family.father, family.mother) if p}
        duo = [m for m in matches if m.relationship == "parent-child" and m.query_id == child.id]
        top = {m.parent.lab_ref for m in duo if m.rank <= len(parents)}
        assert top == parents, family


def test_children_with_only_a_sibling_or_a_grandparent_are_found_first(session, analyst) -> None:  # type: ignore[no-untyped-def]
    by_ref = {s.lab_ref: s for s in session.execute(select(Specimen)).scalars()}
    families = [f for f in DEMO_TRUTH if f.relative]
    assert len(families) == 2
    for family in families:
        child, relative = by_ref[family.child], by_ref[family.relative]
        assert relative.kind == "relative" and relative.relation == family.relation
        best = service.candidates_for(session, actor=analyst, specimen_public_id=child.public_id)[0]
        assert best.relationship == family.relation and best.rank == 1, family
        assert best.parent_id == relative.id and best.child_id == child.id
        assert best.query_id == child.id  # the child arrived after the relative and searched
        assert best.inconsistent_loci == 0 and best.loci_compared == 22
        assert 0 < best.expected_false_hits < 1e-2, family
        assert '"theta": 0.0' in best.settings and '"mutation_model": "stepwise"' in best.settings
        # the same pair from the relative's side: its own candidate list names the child first
        mine = service.candidates_for(session, actor=analyst, specimen_public_id=relative.public_id)
        assert mine[0].child_id == child.id
    sibling, grandparent = families
    assert (
        by_ref[sibling.child]
        and service.candidates_for(
            session, actor=analyst, specimen_public_id=by_ref[sibling.child].public_id
        )[0].match_class
        == "kin-strong"
    )
    assert (
        service.candidates_for(
            session, actor=analyst, specimen_public_id=by_ref[grandparent.child].public_id
        )[0].match_class
        == "kin-lead"
    )


def test_the_child_with_a_mutation_is_still_found_with_its_inconsistent_locus(
    session, analyst
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.dna.demo import MUTATED_FAMILY

    family = DEMO_TRUTH[MUTATED_FAMILY]
    child = session.execute(select(Specimen).where(Specimen.lab_ref == family.child)).scalar_one()
    best = service.candidates_for(session, actor=analyst, specimen_public_id=child.public_id)[0]
    assert best.relationship == "parents" and best.inconsistent_loci == 1
    assert best.couple.father.lab_ref == family.father


def test_unrelated_demo_people_draw_no_strong_match(session, analyst) -> None:  # type: ignore[no-untyped-def]
    planted = {f.child for f in DEMO_TRUTH}
    for s in demo_samples()[1]:
        if s.ref in planted:
            continue
        specimen = session.execute(select(Specimen).where(Specimen.lab_ref == s.ref)).scalar_one()
        matches = service.candidates_for(
            session, actor=analyst, specimen_public_id=specimen.public_id
        )
        assert all(m.match_class != "strong" for m in matches), s.ref
