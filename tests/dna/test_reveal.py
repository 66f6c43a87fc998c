"""Identity reveal (I3, R-DNA-4, B9): a second permission, another supervisor's time-limited
grant, and a high-priority audit record; refusals are recorded too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.core.actions import action
from fanguai.db import utcnow
from fanguai.dna import service
from fanguai.errors import Conflict, Forbidden, NotFound
from tests.dna.helpers import Family, as_profile


@pytest.fixture
def linked(session, analyst):  # type: ignore[no-untyped-def]
    specimen = service.register_specimen(
        session,
        actor=analyst,
        kind="father",
        profile=as_profile(Family(30).person()),
        kit="kit",
        link={"subject_type": "person", "subject_id": "person-abc", "relation": "father"},
    )
    return specimen.public_id


def _last(session, name: str) -> AuditEvent:  # type: ignore[no-untyped-def]
    return (
        session.execute(
            select(AuditEvent).where(AuditEvent.action == name).order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )


def test_a_dna_analyst_cannot_reveal(session, analyst, linked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        service.reveal_subject(session, actor=analyst, specimen_public_id=linked, reason="核对身份")
    assert _last(session, "dna.reveal").outcome == "denied"


def test_a_supervisor_without_an_approved_grant_cannot_reveal(session, chief, linked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden, match="approved reveal grant"):
        service.reveal_subject(session, actor=chief, specimen_public_id=linked, reason="核对身份")
    event = _last(session, "dna.reveal")
    assert event.outcome == "denied" and event.priority == "high"


def test_nobody_approves_their_own_request_and_a_grant_is_decided_once(
    session, chief, labchief, linked
) -> None:  # type: ignore[no-untyped-def]
    grant = service.request_reveal_grant(
        session, actor=chief, specimen_public_id=linked, reason="比中后联系家属"
    )
    with pytest.raises(Forbidden):
        service.decide_reveal_grant(
            session, actor=chief, grant_public_id=grant.public_id, approve=True
        )
    service.decide_reveal_grant(
        session, actor=labchief, grant_public_id=grant.public_id, approve=False
    )
    with pytest.raises(Conflict):
        service.decide_reveal_grant(
            session, actor=labchief, grant_public_id=grant.public_id, approve=True
        )
    with pytest.raises(Forbidden):
        service.reveal_subject(session, actor=chief, specimen_public_id=linked, reason="核对身份")


def test_with_another_supervisors_grant_the_subject_is_revealed_and_audited_high(
    session, chief, labchief, linked
) -> None:  # type: ignore[no-untyped-def]
    grant = service.request_reveal_grant(
        session, actor=chief, specimen_public_id=linked, reason="比中后联系家属"
    )
    assert [g.public_id for g in service.pending_reveal_grants(session, actor=labchief)] == [
        grant.public_id
    ]
    service.decide_reveal_grant(
        session, actor=labchief, grant_public_id=grant.public_id, approve=True, hours=2
    )
    links = service.reveal_subject(
        session, actor=chief, specimen_public_id=linked, reason="比中后联系家属"
    )
    assert [(x.subject_type, x.subject_id, x.relation) for x in links] == [
        ("person", "person-abc", "father")
    ]
    event = _last(session, "dna.reveal")
    assert (event.outcome, event.priority, event.object_id) == ("success", "high", linked)
    assert event.detail["reason"] == "比中后联系家属" and "person-abc" not in str(event.detail)
    # The grant is the requester's only, and it expires.
    with pytest.raises(Forbidden):
        service.reveal_subject(
            session, actor=labchief, specimen_public_id=linked, reason="核对身份"
        )
    later = utcnow() + timedelta(hours=2, minutes=1)
    with pytest.raises(Forbidden):
        service.reveal_subject(
            session, actor=chief, specimen_public_id=linked, reason="核对身份", now=later
        )


def test_a_supervisor_outside_the_specimens_jurisdiction_gets_not_found(
    session, actor_of, linked
) -> None:  # type: ignore[no-untyped-def]
    county = actor_of("gusu.chief")  # a county supervisor; the specimen is the city lab's
    with pytest.raises(NotFound):
        service.request_reveal_grant(
            session, actor=county, specimen_public_id=linked, reason="核对身份"
        )


def test_the_link_is_written_inside_the_callers_action_only(session, analyst, linked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        service.link_specimen(
            session,
            specimen_public_id=linked,
            subject_type="found_person",
            subject_id="fp-1",
            relation="self",
        )
    with action(session, analyst, "identify.test_link"):
        service.link_specimen(
            session,
            specimen_public_id=linked,
            subject_type="missing_case",
            subject_id="case-9",
            relation="father",
        )
    found = service.specimens_of(
        session, actor=analyst, subject_type="missing_case", subject_id="case-9"
    )
    assert [s.public_id for s in found] == [linked]
