"""Withdrawal of consent and the end of retention crypto-shred a relative's profile (R-DNA-8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.core.actions import action
from fanguai.core.actor import system_actor
from fanguai.crypto.keystore import SubjectShredded
from fanguai.db import utcnow
from fanguai.dna import index as idx
from fanguai.dna import service
from fanguai.dna.models import CandidateMatch, DnaProfile, Specimen, SpecimenLink
from fanguai.errors import Conflict
from tests.dna.helpers import Family, wide


@pytest.fixture
def family(session, analyst):  # type: ignore[no-untyped-def]
    """A couple and their child, imported in the test (never shred a shared demo specimen)."""
    fam = Family(40)
    father, mother = fam.person(), fam.person()
    result = service.import_lab_file(
        session,
        actor=analyst,
        text=wide(
            [
                ("W-F", "father", "W", father),
                ("W-M", "mother", "W", mother),
                ("W-U", "unknown_child", "", fam.child(father, mother)),
            ]
        ),
        layout="wide",
        kit="kit",
    )
    return {s.lab_ref: s for s in result.specimens}


def test_withdrawal_shreds_the_profile_and_takes_it_out_of_every_search(
    session, analyst, field_crypto, family
) -> None:  # type: ignore[no-untyped-def]
    father, child = family["W-F"], family["W-U"]
    with action(session, analyst, "identify.test_link"):
        service.link_specimen(
            session,
            specimen_public_id=father.public_id,
            subject_type="person",
            subject_id="p-1",
            relation="father",
        )
    token = session.execute(
        select(DnaProfile.genotypes).where(DnaProfile.specimen_id == father.id)
    ).scalar_one()
    service.withdraw_consent(
        session, actor=analyst, specimen_public_id=father.public_id, reason="家属撤回同意"
    )
    assert field_crypto.keystore.is_shredded(father.key_subject)
    with pytest.raises(SubjectShredded):
        idx.open_profile(field_crypto, father, token)
    assert (
        session.execute(
            select(DnaProfile.genotypes).where(DnaProfile.specimen_id == father.id)
        ).scalar_one()
        is None
    )
    assert session.get(Specimen, father.id).status == "withdrawn"
    assert (
        session.execute(select(SpecimenLink).where(SpecimenLink.specimen_id == father.id)).first()
        is None
    )
    indexes = idx.indexes_for(session, field_crypto)
    (couple,) = service.couples_of(session, father)
    assert couple.status == "dissolved"
    assert father.public_id not in indexes.reference
    assert not indexes.reference.has_couple(couple.public_id)
    # Matches naming the withdrawn father are kept as a trace, marked withdrawn, never listed.
    statuses = {
        m.status
        for m in session.execute(
            select(CandidateMatch).where(
                (CandidateMatch.parent_id == father.id) | (CandidateMatch.couple_id == couple.id)
            )
        ).scalars()
    }
    assert statuses == {"withdrawn"}
    listed = service.candidates_for(session, actor=analyst, specimen_public_id=child.public_id)
    assert listed and all(m.parent_id != father.id and m.couple_id is None for m in listed)
    # A rebuilt index (another process) does not bring the profile back.
    idx.forget(session)
    assert father.public_id not in idx.indexes_for(session, field_crypto).reference
    with pytest.raises(Conflict):
        service.withdraw_consent(
            session, actor=analyst, specimen_public_id=father.public_id, reason="再次撤回"
        )


def test_a_child_sampled_under_statutory_duty_cannot_be_withdrawn(session, analyst, family) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict):
        service.withdraw_consent(
            session, actor=analyst, specimen_public_id=family["W-U"].public_id, reason="撤回同意"
        )


def test_the_retention_job_shreds_relatives_whose_period_ended(
    session, analyst, field_crypto, family
) -> None:  # type: ignore[no-untyped-def]
    mother = family["W-M"]
    now = utcnow()
    with action(session, analyst, "identify.test_resolved"):
        service.set_retention(
            session, specimen_public_id=mother.public_id, until=now + timedelta(days=30)
        )
    actor = system_actor("dna.retention")
    assert service.expire_retention(session, actor=actor, now=now + timedelta(days=29)) == 0
    assert service.expire_retention(session, actor=actor, now=now + timedelta(days=30)) == 1
    assert session.get(Specimen, mother.id).status == "withdrawn"
    assert field_crypto.keystore.is_shredded(mother.key_subject)
    assert mother.public_id not in idx.indexes_for(session, field_crypto).reference


def test_a_legal_hold_keeps_a_relative_past_retention_until_it_is_released(
    session, analyst, labchief, field_crypto, family
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.retention import service as retention

    father = family["W-F"]
    now = utcnow()
    with action(session, analyst, "identify.test_resolved"):
        service.set_retention(session, specimen_public_id=father.public_id, until=now)
    hold = retention.place_hold(
        session,
        actor=labchief,
        object_type="dna_specimen",
        object_id=father.public_id,
        reason="诉讼保全：复核需要保留",
    )
    actor = system_actor("dna.retention")
    later = now + timedelta(days=400)
    assert service.expire_retention(session, actor=actor, now=later) == 0
    assert session.get(Specimen, father.id).status == "active"
    assert not field_crypto.keystore.is_shredded(father.key_subject)
    retention.release_hold(session, actor=labchief, public_id=hold.public_id, reason="复核结束")
    assert service.expire_retention(session, actor=actor, now=later) == 1
    assert field_crypto.keystore.is_shredded(father.key_subject)


def test_a_hold_placed_after_the_job_listed_its_work_still_wins(
    session, analyst, labchief, field_crypto, family, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.retention import service as retention

    mother = family["W-M"]
    now = utcnow()
    with action(session, analyst, "identify.test_resolved"):
        service.set_retention(session, specimen_public_id=mother.public_id, until=now)
    retention.place_hold(
        session,
        actor=labchief,
        object_type="dna_specimen",
        object_id=mother.public_id,
        reason="诉讼保全：复核需要保留",
    )
    real = retention.held_ids
    calls: list[int] = []

    def stale_first(session, object_type, ids):  # type: ignore[no-untyped-def]
        calls.append(1)
        return set() if len(calls) == 1 else real(session, object_type, ids)

    monkeypatch.setattr(retention, "held_ids", stale_first)
    actor = system_actor("dna.retention")
    assert service.expire_retention(session, actor=actor, now=now + timedelta(days=1)) == 0
    assert len(calls) == 2
    assert session.get(Specimen, mother.id).status == "active"
    assert not field_crypto.keystore.is_shredded(mother.key_subject)
