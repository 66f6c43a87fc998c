"""The demo import of parents and children: every planted family is found at rank 1."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.dna import service
from fanguai.dna.demo import DEMO_TRUTH, demo_samples
from fanguai.dna.models import Specimen


def test_the_demo_plants_couples_single_parents_and_unrelated_people() -> None:
    reference, unknown, truth = demo_samples()
    assert truth == DEMO_TRUTH
    assert sum(f.couple for f in truth) == 12 and len(truth) == 16
    assert {s.kind for s in unknown} == {"unknown_child", "rescued_victim", "unidentified"}
    planted = {f.child for f in truth}
    assert len([s for s in unknown if s.ref not in planted]) == 20
    # Lab numbers do not give the families away: children and parents are numbered apart.
    assert sorted(f.child for f in truth) != [f.child for f in truth]


def test_every_planted_child_has_its_true_parents_first_with_their_expected_false_hits(
    session, analyst
) -> None:  # type: ignore[no-untyped-def]
    by_ref = {s.lab_ref: s for s in session.execute(select(Specimen)).scalars()}
    for family in DEMO_TRUTH:
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
