"""One candidate list: DNA hits of the planted demo families, record linkage, levels, review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanguai.dna.demo import DEMO_TRUTH, demo_samples
from fanguai.dna.models import Specimen
from fanguai.errors import Conflict, Forbidden, NotFound
from fanguai.identify import actions, deadlines, service
from fanguai.identify.demo import FAMILIES
from fanguai.identify.models import Candidate
from fanguai.tasks.service import tasks_for_subject
from tests.identify.conftest import MONDAY, as_actor


def specimen_id(session, lab_ref: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(
        select(Specimen.public_id).where(Specimen.lab_ref == lab_ref)
    ).scalar_one()


def couple_family():  # type: ignore[no-untyped-def]
    """A planted couple the identification demo leaves alone (it uses the first seven)."""
    used = {f.index for f in FAMILIES}
    return next(f for i, f in enumerate(DEMO_TRUTH) if f.couple and i not in used)


def profile_of(lab_ref: str) -> dict[str, str]:
    reference, unknown, _ = demo_samples()
    sample = next(s for s in (*reference, *unknown) if s.ref == lab_ref)
    return {locus: "/".join(g) for locus, g in sample.genotypes.items()}


@pytest.fixture
def family(session, register, register_missing):  # type: ignore[no-untyped-def]
    """A found child linked to a planted child's specimen, and its parents' family record."""
    truth = couple_family()
    analyst = as_actor(session, "suzhou.dna")
    found = register("gusu.civil", name="王小明", father_name=None)  # a new name: records miss it
    actions.attach_specimen(
        session,
        actor=analyst,
        found_id=found.public_id,
        specimen=specimen_id(session, truth.child),
        now=MONDAY,
    )
    record = register_missing("gusu.police")
    for relation, ref in (("father", truth.father), ("mother", truth.mother)):
        actions.link_parent_specimen(
            session,
            actor=analyst,
            missing_id=record.public_id,
            specimen=specimen_id(session, ref),
            relation=relation,
        )
    return found, record, truth


def test_the_kinship_search_puts_the_true_parents_first(family, session) -> None:  # type: ignore[no-untyped-def]
    found, record, truth = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    ranked = service.candidates_of_found(session, actor=analyst, found=found)
    top = ranked[0]
    assert (top.side_type, top.side_id) == ("missing_record", record.public_id)
    assert top.level == "dna_supported"
    dna = next(e for e in top.evidence if e.kind == "dna")
    assert dna.detail["relationship"] == "parents"  # the couple: trio evidence
    assert dna.detail["lr"] >= 10_000 and dna.detail["inconsistent_loci"] <= 2
    assert dna.detail["expected_false_hits"] >= 0
    # A DNA-supported candidate opens the re-test deadline for the city lab.
    retest = [
        t
        for t in tasks_for_subject(session, "found_person", found.public_id)
        if t.kind == deadlines.DNA_RETEST
    ]
    assert len(retest) == 1 and retest[0].owner_unit.code == "320500-GA"


def test_the_sampling_deadline_closes_when_the_specimen_is_linked(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, _ = family
    sampling = [
        t
        for t in tasks_for_subject(session, "found_person", found.public_id)
        if t.kind == deadlines.DNA_SAMPLING
    ]
    assert [t.status for t in sampling] == ["done"]
    with pytest.raises(Conflict) as err:
        actions.attach_specimen(
            session,
            actor=as_actor(session, "suzhou.dna"),
            found_id=found.public_id,
            specimen="whatever",
            now=MONDAY,
        )
    assert err.value.field == "specimen_linked"


def test_searching_twice_keeps_one_candidate_per_family(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, _ = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    first = {
        (c.side_type, c.side_id)
        for c in service.candidates_of_found(session, actor=analyst, found=found)
    }
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    rows = (
        session.execute(select(Candidate).where(Candidate.found_person_id == found.id))
        .scalars()
        .all()
    )
    assert {(c.side_type, c.side_id) for c in rows} == first and len(rows) == len(first)


def test_a_dna_only_candidate_names_specimens_until_revealed(family, session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    found, record, truth = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    top = service.candidates_of_found(session, actor=analyst, found=found)[0]
    view = service.candidate_read(session, field_crypto, top)
    assert view.side_hidden and view.side_id is None and view.side_label is None
    assert set(view.specimens) == {
        specimen_id(session, truth.father),
        specimen_id(session, truth.mother),
    }
    # Not listed from the family's side either, until revealed.
    assert (
        service.candidates_of_side(
            session, actor=analyst, side_type="missing_record", side_id=record.public_id
        )
        == []
    )


def test_the_search_needs_the_dna_search_permission(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, _ = family
    with pytest.raises(Forbidden):
        actions.run_dna_search(
            session, actor=as_actor(session, "gusu.chief"), found_id=found.public_id, now=MONDAY
        )


def test_confirmation_needs_an_agreeing_retest(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, truth = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    top = service.candidates_of_found(session, actor=analyst, found=found)[0]
    with pytest.raises(Conflict) as err:
        actions.confirm_candidate(session, actor=analyst, candidate_id=top.public_id, now=MONDAY)
    assert err.value.field == "retest"
    actions.record_retest(
        session,
        actor=analyst,
        candidate_id=top.public_id,
        profile=profile_of(truth.child),
        now=MONDAY,
    )
    session.expire_all()
    top = session.get(Candidate, top.id)
    assert top.retest == "agrees"
    retest = [
        t
        for t in tasks_for_subject(session, "found_person", found.public_id)
        if t.kind == deadlines.DNA_RETEST
    ]
    assert [t.status for t in retest] == ["done"]
    actions.confirm_candidate(
        session, actor=analyst, candidate_id=top.public_id, note="复核一致", now=MONDAY
    )
    session.expire_all()
    top = session.get(Candidate, top.id)
    assert top.level == "confirmed" and top.found_person.status == "identified"


def test_a_retest_of_another_child_excludes_the_candidate(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, truth = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    top = service.candidates_of_found(session, actor=analyst, found=found)[0]
    stranger = next(f for f in DEMO_TRUTH if f.couple and f.child != truth.child)
    actions.record_retest(
        session,
        actor=analyst,
        candidate_id=top.public_id,
        profile=profile_of(stranger.child),
        now=MONDAY,
    )
    session.expire_all()
    top = session.get(Candidate, top.id)
    assert top.retest in ("disagrees", "inconclusive")
    with pytest.raises(Conflict):
        actions.confirm_candidate(session, actor=analyst, candidate_id=top.public_id, now=MONDAY)


def test_a_rejection_needs_a_reviewer_and_excludes(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, _ = family
    analyst = as_actor(session, "suzhou.dna")
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    top = service.candidates_of_found(session, actor=analyst, found=found)[0]
    with pytest.raises(Forbidden):
        actions.reject_candidate(
            session,
            actor=as_actor(session, "gusu.police"),
            candidate_id=top.public_id,
            reason="不符",
            now=MONDAY,
        )
    actions.reject_candidate(
        session,
        actor=analyst,
        candidate_id=top.public_id,
        reason="父母称孩子为女孩，与本人不符",
        now=MONDAY,
    )
    session.expire_all()
    assert session.get(Candidate, top.id).level == "excluded"


def test_candidates_of_another_city_are_not_listed(family, session) -> None:  # type: ignore[no-untyped-def]
    found, _, _ = family
    actions.run_dna_search(
        session, actor=as_actor(session, "suzhou.dna"), found_id=found.public_id, now=MONDAY
    )
    top = service.candidates_of_found(session, actor=as_actor(session, "suzhou.dna"), found=found)[
        0
    ]
    with pytest.raises(NotFound):
        service.get_candidate_for(
            session, actor=as_actor(session, "nanjing.police"), public_id=top.public_id
        )
    with pytest.raises(NotFound):
        service.get_candidate_for(
            session, actor=as_actor(session, "wuzhong.police"), public_id=top.public_id
        )
