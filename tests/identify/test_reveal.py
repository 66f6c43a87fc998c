"""R-DNA-4: a DNA-only candidate names specimens; revealing the family needs ``dna.reveal`` and an
approved grant (the DNA store audits it); a family outside the revealer's jurisdiction is told,
not shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.dna import service as dna
from fanguai.dna.demo import DEMO_TRUTH
from fanguai.dna.models import Specimen
from fanguai.errors import Forbidden
from fanguai.identify import actions, service
from fanguai.identify.demo import FAMILIES
from fanguai.identify.models import Candidate
from fanguai.outbox import OutboxMessage
from tests.identify.conftest import MONDAY, as_actor


def _specimen(session, ref: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(select(Specimen.public_id).where(Specimen.lab_ref == ref)).scalar_one()


def _grant(session, specimen: str) -> None:  # type: ignore[no-untyped-def]
    grant = dna.request_reveal_grant(
        session,
        actor=as_actor(session, "suzhou.labchief"),
        specimen_public_id=specimen,
        reason="核对比中家庭",
    )
    dna.decide_reveal_grant(
        session,
        actor=as_actor(session, "suzhou.police"),
        grant_public_id=grant.public_id,
        approve=True,
    )


@pytest.fixture
def nanjing_family(session, register, register_missing):  # type: ignore[no-untyped-def]
    """A child found in 姑苏区 whose parents registered in 南京 (outside the city lab's view)."""
    used = {f.index for f in FAMILIES}
    truth = [f for i, f in enumerate(DEMO_TRUTH) if f.couple and i not in used][1]
    record = register_missing(
        "nanjing.police", county_code="320102", name="赵明", father_name="赵刚"
    )
    with action(session, cli_actor("test"), "test.link_parents"):
        for relation, ref in (("father", truth.father), ("mother", truth.mother)):
            dna.link_specimen(
                session,
                specimen_public_id=_specimen(session, ref),
                subject_type="person",
                subject_id=record.person.public_id,
                relation=relation,
            )
    found = register("gusu.civil", name="小明")
    analyst = as_actor(session, "suzhou.dna")
    actions.attach_specimen(
        session,
        actor=analyst,
        found_id=found.public_id,
        specimen=_specimen(session, truth.child),
        now=MONDAY,
    )
    actions.run_dna_search(session, actor=analyst, found_id=found.public_id, now=MONDAY)
    top = service.candidates_of_found(session, actor=analyst, found=found)[0]
    return found, record, top


def test_the_family_outside_the_lab_s_view_stays_specimens(nanjing_family) -> None:  # type: ignore[no-untyped-def]
    _, _, top = nanjing_family
    assert top.side_type == "specimen" and top.level == "dna_supported"


def test_a_reveal_without_an_approved_grant_is_refused(nanjing_family, session) -> None:  # type: ignore[no-untyped-def]
    _, _, top = nanjing_family
    with pytest.raises(Forbidden):
        actions.reveal_candidate(
            session,
            actor=as_actor(session, "suzhou.labchief"),
            candidate_id=top.public_id,
            reason="核对比中家庭",
        )
    with pytest.raises(Forbidden):
        actions.reveal_candidate(
            session,
            actor=as_actor(session, "suzhou.dna"),
            candidate_id=top.public_id,
            reason="核对比中家庭",
        )


def test_a_reveal_naming_another_city_tells_that_city_and_shows_nothing_here(
    nanjing_family, session
) -> None:  # type: ignore[no-untyped-def]
    found, record, top = nanjing_family
    chief = as_actor(session, "suzhou.labchief")
    _grant(session, service.candidate_specimens(top)[0])
    before = (
        session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
        .scalars()
        .first()
        or 0
    )
    revealed = actions.reveal_candidate(
        session,
        actor=chief,
        candidate_id=top.public_id,
        reason="核对比中家庭",
        now=MONDAY + timedelta(minutes=1),
    )
    session.expire_all()
    revealed = session.get(Candidate, revealed.id)
    assert (revealed.side_type, revealed.side_id, revealed.side_division) == (
        "missing_record",
        record.public_id,
        record.owner_unit.division_code,
    )
    assert revealed.revealed_by_id == chief.user_id
    assert not service.candidate_visible(chief, revealed)
    told = (
        session.execute(
            select(OutboxMessage).where(
                OutboxMessage.id > before, OutboxMessage.kind == "identify.cross_match"
            )
        )
        .scalars()
        .all()
    )
    assert [m.unit_id for m in told] == [record.owner_unit_id]


def test_a_reveal_of_specimens_linked_to_nobody_leaves_them_specimens(session) -> None:  # type: ignore[no-untyped-def]
    # A mother's specimen with no family: the deaf child of the demo. The reveal says nothing
    # more; the candidate stays specimens, now marked revealed.
    hidden = (
        session.execute(select(Candidate).where(Candidate.side_type == "specimen"))
        .scalars()
        .first()
    )
    chief = as_actor(session, "suzhou.labchief")
    _grant(session, service.candidate_specimens(hidden)[0])
    result = actions.reveal_candidate(
        session, actor=chief, candidate_id=hidden.public_id, reason="核对比中家庭"
    )
    assert result.side_type == "specimen" and result.revealed_at is not None


def test_a_revealed_family_that_the_records_had_found_becomes_one_candidate(
    session, register, register_missing
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.identify import matching
    from fanguai.identify.bridges import Side

    found = register()
    record = register_missing()
    side = Side("missing_record", record.public_id, record.owner_unit.division_code)
    with action(session, cli_actor("test"), "test.candidates"):
        records = matching.candidate_for(session, found, side, MONDAY)
        matching.put_evidence(
            session,
            records,
            kind="records",
            score=7.5,
            detail={"match_probability": 0.99, "match_weight": 7.5, "explanation": []},
            engine_version="t",
            actor=cli_actor("t"),
            now=MONDAY,
        )
        hidden = matching.candidate_for(session, found, Side("specimen", "a+b", None), MONDAY)
        matching.put_evidence(
            session,
            hidden,
            kind="dna",
            score=6.0,
            detail={"lr": 1e6, "inconsistent_loci": 0, "specimens": ["a", "b"]},
            engine_version="t",
            actor=cli_actor("t"),
            now=MONDAY,
        )
        session.flush()
        merged = matching.resolve_side(session, hidden, side)
        matching.refresh_level(merged, MONDAY)
    assert merged.id == records.id
    assert {e.kind for e in merged.evidence} == {
        "records",
        "dna",
    } and merged.level == "dna_supported"
    assert session.execute(
        select(Candidate).where(Candidate.found_person_id == found.id)
    ).scalars().all() == [merged]
