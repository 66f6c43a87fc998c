"""The purge's edge cases (SECURITY.md I1): people shared by several records go with the last of
them, holds on another record keep them, keys are destroyed only after the purge committed (and
a failed shred is finished by the next run), a hold placed during a run is respected, a purged
victim file takes its person along, and a missing record's clock is its finding.

These tests shred into a key store of their own (the anonymisers never decrypt): the shared one
of the test run keeps every demo key for the tests that follow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import fanguai.models  # noqa: F401  (every table registered)
from fanguai.alerts.models import MissingCase
from fanguai.audit.models import AuditEvent
from fanguai.core import actions as core_actions
from fanguai.core.actor import system_actor
from fanguai.identify.models import FoundPerson, MissingRecord
from fanguai.leads.models import Lead
from fanguai.people.models import Person
from fanguai.retention import purge, service
from fanguai.retention import schedule as sch
from fanguai.retention.models import PurgeRecord
from fanguai.victims.models import VictimFile
from tests.retention.test_schedule import (
    CLOSED,
    SETTINGS,
    _actor,
    _first_visible,
    _lead,
    _set,
)

JOB = system_actor("retention.purge")


def _run(session, crypto, now, *codes):  # type: ignore[no-untyped-def]
    return purge.run(session, actor=JOB, settings=SETTINGS, now=now, crypto=crypto, only=set(codes))


def _record(session, object_id):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(
        select(PurgeRecord).where(PurgeRecord.object_id == object_id)
    ).scalar_one_or_none()


def _erased(session, crypto, person_id) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    person = session.get(Person, person_id)
    gone = person.erased_at is not None and person.name is None
    assert gone == crypto.keystore.is_shredded(person.subject_id)
    return gone


def _events(session, name, object_id, outcome="success"):  # type: ignore[no-untyped-def]
    return session.execute(
        select(AuditEvent).where(
            AuditEvent.action == name,
            AuditEvent.object_id == object_id,
            AuditEvent.outcome == outcome,
        )
    ).all()


def _close_case(session, case, at) -> None:  # type: ignore[no-untyped-def]
    _set(
        session,
        case,
        status="closed",
        closed_at=at,
        outcome="found_alive",
        signed_off_by_id=case.leader_id,
    )


def _two_cases_one_guardian(session):  # type: ignore[no-untyped-def]
    chief = _actor(session, "gusu.chief")
    ids = sch.scope_ids(chief, "missing_case")
    cases = (
        session.execute(
            select(MissingCase)
            .where(MissingCase.public_id.in_(ids), MissingCase.guardian_person_id.is_not(None))
            .order_by(MissingCase.id)
        )
        .scalars()
        .all()
    )
    assert len(cases) >= 2, "the demo needs two cases with a guardian in Gusu"
    a, b = cases[:2]
    _set(session, b, guardian_person_id=a.guardian_person_id)
    return chief, a, b, a.guardian_person_id


def test_a_guardian_of_two_cases_stays_until_the_later_case_expires(session, crypto) -> None:  # type: ignore[no-untyped-def]
    _, a, b, guardian = _two_cases_one_guardian(session)
    _close_case(session, a, CLOSED)
    _close_case(session, b, sch.add_months(CLOSED, 12))  # closed, its period still running

    first = sch.add_months(CLOSED, 60)
    assert _run(session, crypto, first, "missing_cases").purged["missing_cases"] == [a.public_id]
    assert not _erased(session, crypto, guardian)

    second = sch.add_months(CLOSED, 72)
    assert _run(session, crypto, second, "missing_cases").purged["missing_cases"] == [b.public_id]
    assert _erased(session, crypto, guardian)


def test_a_hold_on_the_other_case_keeps_the_shared_guardian(session, crypto) -> None:  # type: ignore[no-untyped-def]
    chief, a, b, guardian = _two_cases_one_guardian(session)
    _close_case(session, a, CLOSED)
    _close_case(session, b, CLOSED)
    hold = service.place_hold(
        session,
        actor=chief,
        object_type="missing_case",
        object_id=b.public_id,
        reason="诉讼保全需要",
    )
    expiry = sch.add_months(CLOSED, 60)
    report = _run(session, crypto, expiry, "missing_cases")
    assert report.purged["missing_cases"] == [a.public_id]
    assert report.held["missing_cases"] == [b.public_id]
    assert not _erased(session, crypto, guardian)

    service.release_hold(session, actor=chief, public_id=hold.public_id, reason="诉讼已终结")
    assert _run(session, crypto, expiry, "missing_cases").purged["missing_cases"] == [b.public_id]
    assert _erased(session, crypto, guardian)


def _found_with_file(session):  # type: ignore[no-untyped-def]
    """A found person and the victim file naming the same person (as the bridge creates it)."""
    chief = _actor(session, "gusu.chief")
    found = _first_visible(session, chief, FoundPerson, "found_person")
    file = _first_visible(session, chief, VictimFile, "victim_file", VictimFile.erased_at.is_(None))
    person = session.get(Person, found.person_id)
    _set(session, found, status="closed", closed_at=CLOSED, close_reason="测试关闭")
    _set(
        session,
        file,
        person_public_id=person.public_id,
        found_person_public_id=found.public_id,
    )
    # Every file naming the found person is closed a year later: their periods run longer.
    for other in session.execute(
        select(VictimFile).where(
            (VictimFile.found_person_public_id == found.public_id)
            | (VictimFile.person_public_id == person.public_id)
        )
    ).scalars():
        _set(
            session,
            other,
            status="closed",
            closed_at=sch.add_months(CLOSED, 12),
            close_reason="completed",
        )
    return chief, found, file, person.id


def test_a_victim_file_not_yet_expired_keeps_the_person_and_its_purge_erases_them(
    session, crypto
) -> None:  # type: ignore[no-untyped-def]
    _, found, file, person_id = _found_with_file(session)
    report = _run(session, crypto, sch.add_months(CLOSED, 60), "found_persons", "victim_files")
    assert report.purged["found_persons"] == [found.public_id]
    assert report.purged["victim_files"] == []
    assert not _erased(session, crypto, person_id)  # the closed file still runs

    report = _run(session, crypto, sch.add_months(CLOSED, 72), "found_persons", "victim_files")
    assert file.public_id in report.purged["victim_files"]
    assert _erased(session, crypto, person_id)
    session.expire_all()
    assert session.get(VictimFile, file.id).person_public_id is None
    assert crypto.keystore.is_shredded(file.subject_id)


def test_a_purged_victim_file_keeps_a_person_a_held_found_person_names(session, crypto) -> None:  # type: ignore[no-untyped-def]
    chief, found, file, person_id = _found_with_file(session)
    service.place_hold(
        session,
        actor=chief,
        object_type="found_person",
        object_id=found.public_id,
        reason="诉讼保全",
    )
    report = _run(session, crypto, sch.add_months(CLOSED, 72), "found_persons", "victim_files")
    assert file.public_id in report.purged["victim_files"]
    assert report.held["found_persons"] == [found.public_id]
    assert not _erased(session, crypto, person_id)


def test_keys_are_shredded_after_the_commit_and_a_failed_shred_is_finished_next_run(
    session, crypto, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    object_id, [subject] = _lead(session, _actor(session, "gusu.chief"))
    expiry = sch.add_months(CLOSED, 24)

    def down(subject_id: str) -> bool:
        raise OSError("key store unreachable")

    monkeypatch.setattr(crypto.keystore, "shred", down)
    report = _run(session, crypto, expiry, "leads")
    # The purge itself committed, audited; only the keys are still to go, and the run says so.
    assert report.purged["leads"] == [object_id]
    assert report.failed[object_id] == "keys not shredded yet: OSError"
    row = _record(session, object_id)
    assert row is not None and row.keys == [subject] and row.keys_shredded_at is None
    assert len(_events(session, "retention.purge", object_id)) == 1
    assert not crypto.keystore.is_shredded(subject)
    lead = session.execute(select(Lead).where(Lead.public_id == object_id)).scalar_one()
    assert lead.description == "" and lead.reporter_name is None

    monkeypatch.undo()
    later = expiry + timedelta(days=1)
    report = _run(session, crypto, later, "leads")
    assert report.failed == {} and report.purged["leads"] == []
    assert crypto.keystore.is_shredded(subject)
    assert _record(session, object_id).keys_shredded_at == later
    assert len(_events(session, "retention.shred", object_id)) == 1
    # Done: a further run neither shreds nor audits again.
    _run(session, crypto, later + timedelta(days=1), "leads")
    assert len(_events(session, "retention.shred", object_id)) == 1
    assert len(_events(session, "retention.purge", object_id)) == 1


def test_a_failed_commit_keeps_the_keys_and_the_record(session, crypto, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    object_id, [subject] = _lead(session, _actor(session, "gusu.chief"))
    expiry = sch.add_months(CLOSED, 24)
    append = core_actions.audit.append

    def failing(session, **kw):  # type: ignore[no-untyped-def]
        if kw["action"] == "retention.purge" and kw["outcome"] == "success":
            raise RuntimeError("audit log unavailable")
        return append(session, **kw)

    monkeypatch.setattr(core_actions.audit, "append", failing)
    report = _run(session, crypto, expiry, "leads")
    assert report.purged["leads"] == [] and report.failed == {object_id: "RuntimeError"}
    assert _record(session, object_id) is None
    assert not crypto.keystore.is_shredded(subject)
    lead = session.execute(select(Lead).where(Lead.public_id == object_id)).scalar_one()
    assert lead.description.startswith("fg1:")
    assert len(_events(session, "retention.purge", object_id, "failed")) == 1

    monkeypatch.undo()
    assert _run(session, crypto, expiry, "leads").purged["leads"] == [object_id]
    assert crypto.keystore.is_shredded(subject)


def test_a_hold_placed_while_the_run_works_is_respected(session, crypto, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    chief = _actor(session, "gusu.chief")
    object_id, [subject] = _lead(session, chief)
    listed = purge.held_ids

    def then_held(session, object_type, ids):  # type: ignore[no-untyped-def]
        out = listed(session, object_type, ids)
        if (
            object_type == "lead"
            and object_id in ids
            and not service.is_held(session, "lead", object_id)
        ):
            # Another supervisor places a hold just after the run read the holds.
            service.place_hold(
                session, actor=chief, object_type="lead", object_id=object_id, reason="诉讼保全"
            )
        return out

    monkeypatch.setattr(purge, "held_ids", then_held)
    report = _run(session, crypto, sch.add_months(CLOSED, 24), "leads")
    assert report.purged["leads"] == [] and report.held["leads"] == [object_id]
    assert report.failed == {}
    assert _record(session, object_id) is None
    assert not crypto.keystore.is_shredded(subject)


def test_a_missing_record_runs_from_its_finding_never_from_its_registration(
    session, crypto
) -> None:  # type: ignore[no-untyped-def]
    chief = _actor(session, "gusu.chief")
    ids = sch.scope_ids(chief, "missing_record")
    records = (
        session.execute(
            select(MissingRecord).where(MissingRecord.public_id.in_(ids)).order_by(MissingRecord.id)
        )
        .scalars()
        .all()
    )
    assert len(records) >= 2, "the demo needs two missing records in Gusu"
    found, closed = records[:2]
    registered = CLOSED - timedelta(days=3650)  # registered ten years before
    _set(session, found, status="found", registered_at=registered, found_at=CLOSED)
    # No code path closes a record, nor records when: it has no clock, and is kept.
    _set(session, closed, status="closed", registered_at=registered, found_at=None)

    def due(now):  # type: ignore[no-untyped-def]
        return [
            d.object_id for d in sch.due(session, sch.BY_CODE["missing_records"], SETTINGS, now)
        ]

    expiry = sch.add_months(CLOSED, 60)
    assert found.public_id not in due(expiry - timedelta(seconds=1))
    assert found.public_id in due(expiry)
    assert closed.public_id not in due(expiry + timedelta(days=3650))


def test_a_victim_file_erased_early_keeps_its_person_until_its_own_purge(session, crypto) -> None:  # type: ignore[no-untyped-def]
    _, found, file, person_id = _found_with_file(session)
    erased = sch.add_months(CLOSED, 12)
    _set(session, file, erased_at=erased, name=None, notes=None)  # as victims.erase leaves it
    report = _run(session, crypto, sch.add_months(CLOSED, 60), "found_persons", "victim_files")
    assert report.purged["found_persons"] == [found.public_id]
    assert not _erased(session, crypto, person_id)

    report = _run(session, crypto, sch.add_months(CLOSED, 72), "found_persons", "victim_files")
    assert file.public_id in report.purged["victim_files"]
    assert _erased(session, crypto, person_id)
    session.expire_all()
    purged = session.get(VictimFile, file.id)
    assert purged.person_public_id is None and purged.erased_at == erased
