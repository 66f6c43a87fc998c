"""The lab's confirming re-test: a fresh sample's LR in the same class confirms the match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanguai.dna import service
from fanguai.dna.models import Retest
from fanguai.errors import Forbidden, InvalidInput
from tests.dna.helpers import Family, as_profile, wide


@pytest.fixture
def trio(session, analyst):  # type: ignore[no-untyped-def]
    fam = Family(60)
    father, mother = fam.person(), fam.person()
    child = fam.child(father, mother)
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide(
            [
                ("RT-F", "father", "R", father),
                ("RT-M", "mother", "R", mother),
                ("RT-U", "unknown_child", "", child),
            ]
        ),
        layout="wide",
        kit="kit",
    )
    match = next(m for m in result.matches if m.relationship == "parents")
    return match, child, fam


def test_a_fresh_sample_of_the_same_child_confirms_the_match(session, analyst, trio) -> None:  # type: ignore[no-untyped-def]
    match, child, _ = trio
    row = service.retest(
        session, actor=analyst, match_public_id=match.public_id, profile=as_profile(child)
    )
    assert row.agrees and row.match_class == match.match_class == "strong"
    assert row.discordant_loci == 0 and row.lr == pytest.approx(match.lr)
    assert row.genotypes.startswith("fg1:")
    assert service.get_match_for(session, actor=analyst, public_id=match.public_id).status == (
        "confirmed"
    )


def test_a_sample_of_someone_else_disputes_the_match(session, analyst, trio) -> None:  # type: ignore[no-untyped-def]
    match, _, fam = trio
    stranger = fam.person()
    row = service.retest(
        session, actor=analyst, match_public_id=match.public_id, profile=as_profile(stranger)
    )
    assert not row.agrees and row.match_class != "strong" and row.discordant_loci > 10
    refreshed = service.get_match_for(session, actor=analyst, public_id=match.public_id)
    assert refreshed.status == "disputed"
    assert session.execute(select(Retest).where(Retest.match_id == match.id)).scalar_one()


def test_a_retest_names_a_specimen_of_the_match_and_a_valid_profile(
    session, analyst, actor_of, trio
) -> None:  # type: ignore[no-untyped-def]
    match, child, _ = trio
    with pytest.raises(InvalidInput):
        service.retest(
            session,
            actor=analyst,
            match_public_id=match.public_id,
            profile=as_profile(child),
            specimen_public_id=match.query_id and "not-a-specimen",
        )
    bad = as_profile(child)
    bad["vWA"] = "abc"
    with pytest.raises(InvalidInput, match="vWA"):
        service.retest(session, actor=analyst, match_public_id=match.public_id, profile=bad)
    with pytest.raises(Forbidden):
        service.retest(
            session, actor=actor_of("suzhou.police"), match_public_id=match.public_id,
            profile=as_profile(child),
        )  # fmt: skip
