"""The hand-over from identification: a file opened inside the identification module's action."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fanguai.audit.models import AuditEvent
from fanguai.core.actions import action
from fanguai.db import utcnow
from fanguai.errors import Forbidden
from fanguai.org.models import Unit
from fanguai.outbox import OutboxMessage
from fanguai.victims.errors import VictimInputError
from fanguai.victims.service import open_file_from_found


def _unit(session, code: str) -> Unit:  # type: ignore[no-untyped-def]
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one()


def _hand_over(session, actor, found_id: str, unit_code: str = "320508-MZ"):  # type: ignore[no-untyped-def]
    with action(
        session, actor, "identify.handover", object_type="found_person", object_id=found_id
    ):
        file = open_file_from_found(
            session,
            actor=actor,
            found_person_public_id=found_id,
            person_public_id=None,
            received_at=utcnow(),
            unit=_unit(session, unit_code),
        )
        public_id = file.public_id
    return public_id


def test_a_rescued_child_is_handed_to_civil_affairs_in_one_audited_action(
    session, as_user, user
) -> None:  # type: ignore[no-untyped-def]
    found_id = str(uuid.uuid4())
    file_id = _hand_over(session, as_user("gusu.police"), found_id)
    events = (
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "identify.handover", AuditEvent.object_id == found_id
            )
        )
        .scalars()
        .all()
    )
    assert [e.outcome for e in events] == ["success"]
    told = session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "victims.file_opened")
    ).scalars()
    assert file_id in {m.payload.get("file") for m in told}
    civil = user("gusu.civil")
    detail = civil.get(f"/api/victims/{file_id}").json()
    assert detail["found_person_id"] == found_id and detail["caseworker"] is None
    assert (
        detail["sex"] == "unknown" and detail["age"] == "unknown" and detail["minor"] == "unknown"
    )
    # The file waits for a caseworker, who takes it on.
    page = civil.get("/victims")
    assert file_id in page.text
    assert (
        civil.post(f"/api/victims/{file_id}/assign", json={"username": "gusu.civil"}).json()[
            "caseworker"
        ]
        == "刘芳"
    )


def test_handing_the_same_child_over_twice_returns_the_open_file(session, as_user) -> None:  # type: ignore[no-untyped-def]
    found_id = str(uuid.uuid4())
    first = _hand_over(session, as_user("gusu.police"), found_id)
    assert _hand_over(session, as_user("gusu.police"), found_id) == first


def test_the_hand_over_runs_only_inside_the_callers_action(session, as_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        open_file_from_found(
            session,
            actor=as_user("gusu.police"),
            found_person_public_id=str(uuid.uuid4()),
            person_public_id=None,
            received_at=utcnow(),
            unit=_unit(session, "320508-MZ"),
        )


def test_the_hand_over_needs_identification_or_victim_work_and_a_keeping_unit(
    session, as_user
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        _hand_over(session, as_user("gusu.edu"), str(uuid.uuid4()))
    with pytest.raises(VictimInputError):
        _hand_over(session, as_user("gusu.police"), str(uuid.uuid4()), unit_code="320508-JY")
