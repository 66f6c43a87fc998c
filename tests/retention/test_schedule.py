"""The retention schedule with a frozen clock (SECURITY.md I1): every class is purged at its
expiry and not a day before, a legal hold stops it, release lets the next run purge it, every
purge is audited, re-runs do nothing, the statistics survive and the personal data does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import fanguai.models  # noqa: F401  (every table registered)
from fanguai.accountability.models import Evaluation, EvaluationItem, EvaluationScore
from fanguai.alerts.models import MissingCase
from fanguai.audit.models import AuditEvent
from fanguai.core.actions import bookkeeping
from fanguai.core.actor import system_actor
from fanguai.crypto.keystore import SubjectShredded
from fanguai.db import Base
from fanguai.errors import Conflict, InvalidInput, NotFound
from fanguai.identify.models import FoundPerson, MissingRecord
from fanguai.leads.models import Lead
from fanguai.org.models import User
from fanguai.people.models import Person
from fanguai.retention import schedule as sch
from fanguai.retention import service
from fanguai.retention.models import PurgeRecord
from fanguai.retention.purge import run
from fanguai.security.service import actor_for_user
from fanguai.settings import Settings
from fanguai.victims.models import VictimFile

# Long before the demo's records were closed, so that at each expiry below only the record a
# test closed is due (the key store is shared by the whole run: a test must shred only its own).
CLOSED = datetime(2016, 1, 31, 2, 0, tzinfo=UTC)  # 10:00 Beijing; the 31st tests month ends
SETTINGS = Settings()


def _actor(session, username: str):  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def _set(session, obj, **values) -> None:  # type: ignore[no-untyped-def]
    """Test set-up: put a demo record into the state a test needs (audited as bookkeeping)."""
    with bookkeeping(session):
        for key, value in values.items():
            setattr(obj, key, value)


def _first_visible(session, actor, model, object_type, *where):  # type: ignore[no-untyped-def]
    ids = sch.scope_ids(actor, object_type)
    assert ids is not None
    row = (
        session.execute(select(model).where(model.public_id.in_(ids), *where).order_by(model.id))
        .scalars()
        .first()
    )
    assert row is not None, f"the demo has no {object_type} in {actor.name}'s scope"
    return row


def _person_subject(session, person_id):  # type: ignore[no-untyped-def]
    return session.get(Person, person_id).subject_id


# Per class: who may hold its records, and how a test closes one of them at CLOSED.
def _lead(session, actor):  # type: ignore[no-untyped-def]
    lead = _first_visible(session, actor, Lead, "lead", Lead.description.is_not(None))
    _set(
        session,
        lead,
        status="closed",
        closed_at=CLOSED,
        outcome="unsubstantiated",
        case_public_id=None,
        merged_into_id=None,
    )
    return lead.public_id, [lead.subject_id]


def _case(session, actor):  # type: ignore[no-untyped-def]
    case = _first_visible(session, actor, MissingCase, "missing_case")
    leader = case.leader_id
    _set(
        session,
        case,
        status="closed",
        closed_at=CLOSED,
        outcome="found_alive",
        signed_off_by_id=leader,
    )
    return case.public_id, [_person_subject(session, case.person_id)]


def _victim(session, actor):  # type: ignore[no-untyped-def]
    file = _first_visible(session, actor, VictimFile, "victim_file", VictimFile.erased_at.is_(None))
    _set(session, file, status="closed", closed_at=CLOSED, close_reason="completed")
    return file.public_id, [file.subject_id]


def _found(session, actor):  # type: ignore[no-untyped-def]
    found = _first_visible(session, actor, FoundPerson, "found_person")
    _set(session, found, status="closed", closed_at=CLOSED, close_reason="测试关闭")
    # A victim file naming it must not be open, or the found person stays.
    for file in session.execute(
        select(VictimFile).where(VictimFile.found_person_public_id == found.public_id)
    ).scalars():
        _set(session, file, status="closed", closed_at=CLOSED)
    return found.public_id, [_person_subject(session, found.person_id)]


def _missing(session, actor):  # type: ignore[no-untyped-def]
    record = _first_visible(session, actor, MissingRecord, "missing_record")
    _set(session, record, status="found", found_at=CLOSED)
    return record.public_id, [_person_subject(session, record.person_id)]


def _evaluation(session, actor):  # type: ignore[no-untyped-def]
    ev = _first_visible(session, actor, Evaluation, "evaluation")
    _set(session, ev, status="closed", closed_at=CLOSED)
    return ev.public_id, []


CASES = {
    "leads": ("gusu.chief", _lead, 24),
    "missing_cases": ("gusu.chief", _case, 60),
    "victim_files": ("gusu.chief", _victim, 60),
    "found_persons": ("gusu.chief", _found, 60),
    "missing_records": ("gusu.chief", _missing, 60),
    "evaluations": ("jiangsu.office", _evaluation, 120),
}


def test_every_purging_class_of_the_schedule_has_a_test_here() -> None:
    purging = {c.code for c in sch.CLASSES if c.handled_by is None}
    assert purging == set(CASES)


def test_every_column_with_a_retention_annotation_belongs_to_a_class() -> None:
    covered = {col for c in sch.CLASSES for col in c.covers}
    annotated = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if "retention" in column.info
    }
    assert annotated - covered == set(), "add these columns to a class in retention/schedule.py"
    assert covered - annotated == set(), "the schedule names columns the models do not annotate"


def test_months_are_calendar_months_and_month_ends_clamp() -> None:
    assert sch.add_months(CLOSED, 1) == datetime(2016, 2, 29, 2, 0, tzinfo=UTC)
    assert sch.add_months(CLOSED, 24) == datetime(2018, 1, 31, 2, 0, tzinfo=UTC)
    assert sch.add_months(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(
        2029, 2, 28, tzinfo=UTC
    )
    assert sch.add_months(CLOSED, -2) == datetime(2015, 11, 30, 2, 0, tzinfo=UTC)


def _purged(session, object_id: str) -> bool:  # type: ignore[no-untyped-def]
    return (
        session.execute(select(PurgeRecord).where(PurgeRecord.object_id == object_id)).first()
        is not None
    )


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_class_is_purged_at_expiry_not_before_and_not_while_held(
    code, session, crypto
) -> None:  # type: ignore[no-untyped-def]
    username, make, months = CASES[code]
    assert sch.BY_CODE[code].months(SETTINGS) == months
    holder = _actor(session, username)
    object_id, subjects = make(session, holder)
    object_type = sch.BY_CODE[code].object_type
    expiry = sch.add_months(CLOSED, months)
    job = system_actor("retention.purge")

    def go(now):  # type: ignore[no-untyped-def]
        return run(session, actor=job, settings=SETTINGS, now=now, crypto=crypto, only={code})

    # A day (and a second) before: nothing, not even in a dry run.
    for early in (expiry - timedelta(days=1), expiry - timedelta(seconds=1)):
        assert object_id not in go(early).purged[code]
    assert not _purged(session, object_id)
    for subject in subjects:
        assert not crypto.keystore.is_shredded(subject)

    # At expiry, under a legal hold: kept, and reported as held.
    hold = service.place_hold(
        session, actor=holder, object_type=object_type, object_id=object_id, reason="诉讼保全需要"
    )
    report = go(expiry)
    assert object_id in report.held[code] and object_id not in report.purged[code]
    assert not _purged(session, object_id)

    # Released: a dry run names it and changes nothing; the next real run purges it.
    service.release_hold(session, actor=holder, public_id=hold.public_id, reason="诉讼已终结")
    assert (
        object_id
        in run(
            session,
            actor=job,
            settings=SETTINGS,
            now=expiry,
            crypto=crypto,
            dry_run=True,
            only={code},
        ).purged[code]
    )
    assert not _purged(session, object_id)
    assert go(expiry).purged[code] == [object_id]
    assert _purged(session, object_id)
    for subject in subjects:
        assert crypto.keystore.is_shredded(subject)

    # One high-priority audit record per purge, naming the class and never a value.
    events = list(
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "retention.purge", AuditEvent.object_id == object_id
            )
        ).scalars()
    )
    assert len(events) == 1
    assert events[0].outcome == "success" and events[0].priority == "high"
    assert events[0].object_type == object_type and events[0].detail["class"] == code

    # The released hold's free-text reasons went with the record.
    released = session.execute(
        select(service.LegalHold).where(service.LegalHold.public_id == hold.public_id)
    ).scalar_one()
    assert released.reason == "" and released.release_reason == ""

    # Re-running, even much later, does nothing.
    assert go(expiry + timedelta(days=400)).purged[code] == []  # nothing else is due by then
    assert (
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "retention.purge", AuditEvent.object_id == object_id
            )
        )
        .all()
        .__len__()
        == 1
    )


def _undecryptable(crypto, token, *, subject, table, column, row_id) -> bool:  # type: ignore[no-untyped-def]
    if token in (None, ""):
        return True
    try:
        crypto.decrypt(token, subject_id=subject, table=table, column=column, row_id=row_id)
    except SubjectShredded:
        return True
    return False


def test_a_purged_lead_keeps_its_statistics_and_loses_every_personal_field(session, crypto) -> None:  # type: ignore[no-untyped-def]
    object_id, _ = _lead(session, _actor(session, "gusu.chief"))
    lead = session.execute(select(Lead).where(Lead.public_id == object_id)).scalar_one()
    before = (lead.lead_type, lead.county_code, lead.received_month, lead.outcome, lead.channel)
    assert lead.description.startswith("fg1:")
    run(
        session,
        actor=system_actor("t"),
        settings=SETTINGS,
        now=sch.add_months(CLOSED, 24),
        crypto=crypto,
        only={"leads"},
    )
    session.expire_all()
    lead = session.execute(select(Lead).where(Lead.public_id == object_id)).scalar_one()
    assert (
        lead.lead_type,
        lead.county_code,
        lead.received_month,
        lead.outcome,
        lead.channel,
    ) == before
    for column in (
        "reporter_name",
        "reporter_phone",
        "child",
        "place_text",
        "point",
        "outcome_note",
    ):
        assert getattr(lead, column) is None, column
    assert lead.description == "" and lead.passphrase_hash == ""
    assert crypto.keystore.is_shredded(lead.subject_id)
    from fanguai.leads.models import LeadAttachment, LeadEvent

    assert (
        session.execute(select(LeadAttachment).where(LeadAttachment.lead_id == lead.id)).first()
        is None
    )
    notes = session.execute(select(LeadEvent.note).where(LeadEvent.lead_id == lead.id)).scalars()
    assert all(n is None for n in notes)


def test_a_purged_case_keeps_its_statistics_and_erases_child_guardian_and_photos(
    session, crypto
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts.models import CasePhoto

    object_id, _ = _case(session, _actor(session, "gusu.chief"))
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == object_id)
    ).scalar_one()
    before = (
        case.category,
        case.county_code,
        case.opened_month,
        case.outcome,
        case.child_sex,
        case.child_age,
    )
    child = session.get(Person, case.person_id)
    child_token = child.name
    run(
        session,
        actor=system_actor("t"),
        settings=SETTINGS,
        now=sch.add_months(CLOSED, 60),
        crypto=crypto,
        only={"missing_cases"},
    )
    session.expire_all()
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == object_id)
    ).scalar_one()
    assert (
        case.category,
        case.county_code,
        case.opened_month,
        case.outcome,
        case.child_sex,
        case.child_age,
    ) == before
    assert case.description == "" and case.last_seen_place is None and case.last_seen_lat is None
    child = session.get(Person, case.person_id)
    assert child.erased_at is not None and child.name is None and child.id_card_index is None
    assert _undecryptable(
        crypto,
        child_token,
        subject=child.subject_id,
        table="person",
        column="name",
        row_id=child.public_id,
    )
    assert session.execute(select(CasePhoto.id).where(CasePhoto.case_id == case.id)).first() is None


def test_a_purged_victim_file_keeps_its_statistics(session, crypto) -> None:  # type: ignore[no-untyped-def]
    object_id, _ = _victim(session, _actor(session, "gusu.chief"))
    file = session.execute(select(VictimFile).where(VictimFile.public_id == object_id)).scalar_one()
    before = (
        file.sex,
        file.age_min,
        file.age_max,
        file.county_code,
        file.opened_month,
        file.close_reason,
    )
    run(
        session,
        actor=system_actor("t"),
        settings=SETTINGS,
        now=sch.add_months(CLOSED, 60),
        crypto=crypto,
        only={"victim_files"},
    )
    session.expire_all()
    file = session.execute(select(VictimFile).where(VictimFile.public_id == object_id)).scalar_one()
    assert (
        file.sex,
        file.age_min,
        file.age_max,
        file.county_code,
        file.opened_month,
        file.close_reason,
    ) == before
    assert (file.name, file.birth_date, file.notes, file.exploitation) == (None, None, None, None)
    assert file.erased_at is not None and crypto.keystore.is_shredded(file.subject_id)


def test_a_purged_evaluation_keeps_scores_under_pseudonyms(session, crypto) -> None:  # type: ignore[no-untyped-def]
    object_id, _ = _evaluation(session, _actor(session, "jiangsu.office"))
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == object_id)).scalar_one()
    items = select(EvaluationItem.id).where(EvaluationItem.evaluation_id == ev.id)
    before = sorted(
        session.execute(
            select(EvaluationScore.score).where(EvaluationScore.item_id.in_(items))
        ).scalars()
    )
    run(
        session,
        actor=system_actor("t"),
        settings=SETTINGS,
        now=sch.add_months(CLOSED, 120),
        crypto=crypto,
        only={"evaluations"},
    )
    session.expire_all()
    scores = list(
        session.execute(select(EvaluationScore).where(EvaluationScore.item_id.in_(items))).scalars()
    )
    assert sorted(s.score for s in scores) == before
    assert all(
        s.reviewer_name.startswith("评审人") and s.reviewer_id is None and s.comment is None
        for s in scores
    )


def test_open_records_and_leads_linked_to_a_case_are_never_purged(session, crypto) -> None:  # type: ignore[no-untyped-def]
    chief = _actor(session, "gusu.chief")
    case = _first_visible(session, chief, MissingCase, "missing_case")
    _set(
        session,
        case,
        status="open",
        outcome=None,
        signed_off_by_id=None,
        closed_at=None,
        opened_at=CLOSED - timedelta(days=9000),
    )
    lead = _first_visible(session, chief, Lead, "lead")
    _set(
        session,
        lead,
        status="closed",
        closed_at=CLOSED,
        outcome="case_opened",
        case_public_id=case.public_id,
    )
    far = CLOSED + timedelta(days=365 * 30)
    report = run(
        session,
        actor=system_actor("t"),
        settings=SETTINGS,
        now=far,
        crypto=crypto,
        dry_run=True,
    )
    assert case.public_id not in report.purged["missing_cases"]
    assert lead.public_id not in report.purged["leads"]


def test_holds_refuse_bad_input_with_precise_errors(session) -> None:  # type: ignore[no-untyped-def]
    chief = _actor(session, "gusu.chief")
    lead = _first_visible(session, chief, Lead, "lead")
    with pytest.raises(InvalidInput, match="object_type"):
        service.place_hold(
            session, actor=chief, object_type="person", object_id=lead.public_id, reason="诉讼保全"
        )
    with pytest.raises(InvalidInput, match="reason"):
        service.place_hold(
            session, actor=chief, object_type="lead", object_id=lead.public_id, reason="  "
        )
    with pytest.raises(NotFound):
        service.place_hold(
            session,
            actor=chief,
            object_type="lead",
            object_id="00000000-0000-4000-8000-000000000000",
            reason="诉讼保全",
        )
    # A record outside the actor's scope reads as unknown.
    nanjing = _actor(session, "nanjing.police")
    with pytest.raises(NotFound):
        service.place_hold(
            session,
            actor=_actor(session, "suzhou.police"),
            object_type="lead",
            object_id=_first_visible(session, nanjing, Lead, "lead").public_id,
            reason="诉讼保全",
        )
    hold = service.place_hold(
        session, actor=chief, object_type="lead", object_id=lead.public_id, reason="诉讼保全"
    )
    with pytest.raises(Conflict, match="already under a legal hold"):
        service.place_hold(
            session, actor=chief, object_type="lead", object_id=lead.public_id, reason="再次保全"
        )
    assert service.held_ids(session, "lead", [lead.public_id, "x"]) == {lead.public_id}
    with pytest.raises(InvalidInput, match="reason"):
        service.release_hold(session, actor=chief, public_id=hold.public_id, reason="")
    service.release_hold(session, actor=chief, public_id=hold.public_id, reason="保全解除")
    with pytest.raises(Conflict):
        service.release_hold(session, actor=chief, public_id=hold.public_id, reason="保全解除")
    assert service.held_ids(session, "lead", [lead.public_id]) == set()
    # Placing and releasing are audited, refusals too.
    actions = [
        e.action + ":" + e.outcome
        for e in session.execute(
            select(AuditEvent).where(AuditEvent.action.in_(("retention.hold", "retention.release")))
        ).scalars()
    ]
    assert "retention.hold:success" in actions and "retention.release:success" in actions
    assert "retention.hold:failed" in actions or "retention.hold:denied" in actions


def test_a_dna_hold_is_visible_to_the_dna_store(session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.dna.models import Specimen

    chief = _actor(session, "gusu.chief")
    ids = sch.scope_ids(chief, "dna_specimen")
    specimen = (
        session.execute(select(Specimen).where(Specimen.public_id.in_(ids))).scalars().first()
    )
    if specimen is None:
        chief = _actor(session, "suzhou.police")
        ids = sch.scope_ids(chief, "dna_specimen")
        specimen = (
            session.execute(select(Specimen).where(Specimen.public_id.in_(ids))).scalars().first()
        )
    assert specimen is not None
    service.place_hold(
        session,
        actor=chief,
        object_type="dna_specimen",
        object_id=specimen.public_id,
        reason="复核需要",
    )
    assert service.held_ids(session, "dna_specimen", [specimen.public_id]) == {specimen.public_id}
    assert sch.BY_CODE["relatives_dna"].handled_by == "dna.retention"


def test_the_worker_runs_the_purge_as_a_job(db) -> None:  # type: ignore[no-untyped-def]
    from fanguai.worker import jobs

    assert "retention.purge" in jobs()
