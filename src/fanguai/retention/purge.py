"""Applying the schedule: one audited action per expired record, never one that is held.

Each record is anonymised in one transaction: personal fields are cleared, attachments and
photos deleted, the hold re-checked, and a ``retention_purge`` row written that marks the record
done (re-runs skip it) and lists the key-store subjects to destroy. Only after that transaction
committed, with its audit record, are the keys crypto-shredded (the key store is a database of
its own): a failed commit leaves every key in place, and a failed shred leaves a committed purge
that the next run finishes first. A person goes with the last record that names them. What
statistics need (type, county, month, outcome, sex and age range) stays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, true, update
from sqlalchemy.orm import Session

from fanguai.accountability.models import (
    Evaluation,
    EvaluationItem,
    EvaluationRecognition,
    EvaluationScore,
)
from fanguai.alerts.models import Alert, AlertHandoff, CaseEvent, CasePhoto, MissingCase
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.errors import Conflict
from fanguai.identify.models import (
    Candidate,
    Evidence,
    FoundPerson,
    FoundPhoto,
    MissingRecord,
    Reunification,
)
from fanguai.leads.models import Lead, LeadAttachment, LeadEvent, LeadIdempotency
from fanguai.people.models import Person
from fanguai.retention import schedule as sch
from fanguai.retention.models import LegalHold, PurgeRecord
from fanguai.retention.service import held_ids, is_held
from fanguai.settings import Settings
from fanguai.victims.models import (
    VictimAssessment,
    VictimFile,
    VictimReferral,
    VictimService,
)

log = logging.getLogger(__name__)

PERSON_FIELDS = ("name", "former_names", "id_card", "birth_date", "phone", "address", "notes")


@dataclass
class PurgeReport:
    """What one run did (or, dry, would do), per class."""

    now: datetime
    dry_run: bool
    purged: dict[str, list[str]] = field(default_factory=dict)
    held: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.purged.values())


# --- shared pieces ----------------------------------------------------------------------------


def _kept(object_type: str, column: Any) -> Any:
    """SQL: the record (by public ID) is still kept: not purged yet, or under a standing hold."""
    purged = select(PurgeRecord.object_id).where(PurgeRecord.object_type == object_type)
    held = select(LegalHold.object_id).where(
        LegalHold.object_type == object_type, LegalHold.released_at.is_(None)
    )
    return or_(column.not_in(purged), column.in_(held))


def _person_in_use(session: Session, person_id: int, keep: tuple[str, int]) -> bool:
    """Whether another record naming the person is still kept (not purged yet, or held).

    Its own schedule decides when that record goes; the person goes with the last of them. A
    record closed but not yet expired keeps the person exactly as an open one does."""
    kind, own = keep
    person = session.get(Person, person_id)
    if person is None:
        return False

    def other(model: Any, object_type: str) -> Any:
        return model.id != own if kind == object_type else true()

    checks = [
        select(MissingCase.id).where(
            or_(MissingCase.person_id == person_id, MissingCase.guardian_person_id == person_id),
            other(MissingCase, "missing_case"),
            _kept("missing_case", MissingCase.public_id),
        ),
        select(FoundPerson.id).where(
            FoundPerson.person_id == person_id,
            other(FoundPerson, "found_person"),
            _kept("found_person", FoundPerson.public_id),
        ),
        select(MissingRecord.id).where(
            MissingRecord.person_id == person_id,
            other(MissingRecord, "missing_record"),
            _kept("missing_record", MissingRecord.public_id),
        ),
        # A file erased early (victims.erase) keeps its person until its own purge.
        select(VictimFile.id).where(
            VictimFile.person_public_id == person.public_id,
            other(VictimFile, "victim_file"),
            _kept("victim_file", VictimFile.public_id),
        ),
    ]
    return any(session.execute(stmt.limit(1)).first() is not None for stmt in checks)


def _erase_person(
    session: Session, person_id: int | None, now: datetime, keep: tuple[str, int]
) -> str | None:
    """Clear a person's identity; returns the subject to shred (None if kept or already gone)."""
    if person_id is None or _person_in_use(session, person_id, keep):
        return None
    person = session.get(Person, person_id)
    if person is None:
        return None
    for column in PERSON_FIELDS:
        setattr(person, column, None)
    person.id_card_index = None
    if person.erased_at is None:
        person.erased_at = now
    return person.subject_id


def _clear_hold_reasons(session: Session, object_type: str, object_id: str) -> None:
    session.execute(
        update(LegalHold)
        .where(
            LegalHold.object_type == object_type,
            LegalHold.object_id == object_id,
            LegalHold.released_at.is_not(None),
        )
        .values(reason="", release_reason="")
    )


# --- one function per class: clear the record, return the key-store subjects to shred ---------


def _lead(session: Session, public_id: str, now: datetime) -> list[str]:
    lead = session.execute(select(Lead).where(Lead.public_id == public_id)).scalar_one()
    for column in ("reporter_name", "reporter_phone", "child", "place_text", "point"):
        setattr(lead, column, None)
    lead.outcome_note = None
    lead.description = ""
    lead.passphrase_hash = ""  # the tracking code no longer opens anything
    session.execute(update(LeadEvent).where(LeadEvent.lead_id == lead.id).values(note=None))
    session.execute(delete(LeadAttachment).where(LeadAttachment.lead_id == lead.id))
    session.execute(delete(LeadIdempotency).where(LeadIdempotency.lead_id == lead.id))
    return [lead.subject_id]


def _missing_case(session: Session, public_id: str, now: datetime) -> list[str]:
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == public_id)
    ).scalar_one()
    case.description = ""
    case.last_seen_place = None
    case.last_seen_lat = None
    case.last_seen_lng = None
    case.outcome_reason = None
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(note=""))
    # Photos go by case, whatever their storage column is.
    photos = CasePhoto.__table__
    session.execute(delete(photos).where(photos.c.case_id == case.id))
    alert = session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one_or_none()
    if alert is not None:
        alert.content = {}
        # The ring's centre, to about 10 km: where, not which house.
        alert.lat = round(alert.lat, 1)
        alert.lng = round(alert.lng, 1)
        session.execute(
            update(AlertHandoff).where(AlertHandoff.alert_id == alert.id).values(package={})
        )
    keep = ("missing_case", case.id)
    subjects = [
        _erase_person(session, case.person_id, now, keep),
        _erase_person(session, case.guardian_person_id, now, keep),
    ]
    return [s for s in subjects if s]


def _victim_file(session: Session, public_id: str, now: datetime) -> list[str]:
    file = session.execute(select(VictimFile).where(VictimFile.public_id == public_id)).scalar_one()
    for column in ("name", "birth_date", "notes", "exploitation"):
        setattr(file, column, None)
    # The person goes too, unless another record still keeps them (then with the last of those):
    # erased before the link is cut, or no later purge could find them.
    person = None
    if file.person_public_id is not None:
        person = session.execute(
            select(Person.id).where(Person.public_id == file.person_public_id)
        ).scalar_one_or_none()
    person_subject = _erase_person(session, person, now, ("victim_file", file.id))
    file.person_public_id = None
    file.found_person_public_id = None
    if file.erased_at is None:  # erased early by the victims module: that moment stays
        file.erased_at = now
    session.execute(
        update(VictimService).where(VictimService.file_id == file.id).values(details=None)
    )
    session.execute(
        update(VictimAssessment).where(VictimAssessment.file_id == file.id).values(notes=None)
    )
    session.execute(
        update(VictimReferral)
        .where(VictimReferral.file_id == file.id)
        .values(override_reason=None, note=None, decision_note=None)
    )
    return [file.subject_id, *([person_subject] if person_subject else [])]


def _found_person(session: Session, public_id: str, now: datetime) -> list[str]:
    found = session.execute(
        select(FoundPerson).where(FoundPerson.public_id == public_id)
    ).scalar_one()
    for column in ("found_by", "found_place", "description", "documents", "claims"):
        setattr(found, column, None)
    found.search_notice_ref = None
    found.close_reason = None
    session.execute(delete(FoundPhoto).where(FoundPhoto.found_person_id == found.id))
    session.execute(
        update(Reunification)
        .where(Reunification.found_person_id == found.id)
        .values(place="", family_contacted="", child_wishes=None)
    )
    candidates = select(Candidate.id).where(Candidate.found_person_id == found.id)
    session.execute(
        update(Candidate).where(Candidate.id.in_(candidates)).values(decision_reason=None)
    )
    session.execute(update(Evidence).where(Evidence.candidate_id.in_(candidates)).values(detail={}))
    subject = _erase_person(session, found.person_id, now, ("found_person", found.id))
    return [subject] if subject else []


def _missing_record(session: Session, public_id: str, now: datetime) -> list[str]:
    record = session.execute(
        select(MissingRecord).where(MissingRecord.public_id == public_id)
    ).scalar_one()
    for column in ("lost_place", "father_name", "mother_name", "features", "contact"):
        setattr(record, column, None)
    subject = _erase_person(session, record.person_id, now, ("missing_record", record.id))
    return [subject] if subject else []


def _evaluation(session: Session, public_id: str, now: datetime) -> list[str]:
    ev = session.execute(select(Evaluation).where(Evaluation.public_id == public_id)).scalar_one()
    ev.created_by_id = None
    items = select(EvaluationItem.id).where(EvaluationItem.evaluation_id == ev.id)
    scores = list(
        session.execute(
            select(EvaluationScore)
            .where(EvaluationScore.item_id.in_(items))
            .order_by(EvaluationScore.id)
        ).scalars()
    )
    # Reviewers become 评审人1, 评审人2, ... (consistently within the evaluation): the scores
    # stay comparable, the people behind them go.
    pseudonyms: dict[str, str] = {}
    for score in scores:
        name = pseudonyms.setdefault(score.reviewer_name, f"评审人{len(pseudonyms) + 1}")
        score.reviewer_name = name
        score.reviewer_id = None
        score.comment = None
    session.execute(
        update(EvaluationRecognition)
        .where(EvaluationRecognition.evaluation_id == ev.id)
        .values(decided_by_id=None)
    )
    return []


ANONYMISERS = {
    "leads": _lead,
    "missing_cases": _missing_case,
    "victim_files": _victim_file,
    "found_persons": _found_person,
    "missing_records": _missing_record,
    "evaluations": _evaluation,
}


class RecordHeld(Conflict):
    """A legal hold was placed on the record after the run listed it: it stays."""


def purge_one(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data_class: sch.DataClass,
    due: sch.Due,
    now: datetime,
) -> None:
    """Anonymise one expired record in one audited action, then shred its keys.

    The keys to shred are written into the ``retention_purge`` row of the same transaction and
    destroyed only after it committed: a failed commit leaves everything (keys included) as it
    was, and a failed shred leaves a committed, audited purge whose keys the next run destroys.
    """
    anonymise = ANONYMISERS[data_class.code]
    with action(
        session,
        actor,
        "retention.purge",
        object_type=data_class.object_type,
        object_id=due.object_id,
        detail={"class": data_class.code, "expired_at": due.expires_at.isoformat()},
        priority="high",
    ):
        # Checked again inside the transaction, the record locked: a hold placed since the run
        # listed the holds protects it, and none can be placed until this commits.
        sch.lock_record(session, data_class.object_type, due.object_id)
        if is_held(session, data_class.object_type, due.object_id):
            raise RecordHeld(f"{data_class.object_type} {due.object_id} is under a legal hold")
        subjects = list(dict.fromkeys(anonymise(session, due.object_id, now)))
        _clear_hold_reasons(session, data_class.object_type, due.object_id)
        row = PurgeRecord(
            data_class=data_class.code,
            object_type=data_class.object_type,
            object_id=due.object_id,
            expired_at=due.expires_at,
            purged_at=now,
            keys=subjects,
            keys_shredded_at=None if subjects else now,
        )
        session.add(row)
        session.flush()
        row_id = row.id
    if subjects:
        shred_keys(session, crypto, actor=actor, purge_id=row_id, now=now)


def shred_keys(
    session: Session, crypto: FieldCrypto, *, actor: Actor, purge_id: int, now: datetime
) -> None:
    """Destroy the keys of a committed purge and mark it complete (safe to repeat)."""
    row = session.get(PurgeRecord, purge_id)
    if row is None or row.keys_shredded_at is not None:
        return
    with action(
        session,
        actor,
        "retention.shred",
        object_type=row.object_type,
        object_id=row.object_id,
        detail={"class": row.data_class, "keys": len(row.keys)},
        priority="high",
    ):
        row = session.get(PurgeRecord, purge_id)
        if row is None:
            raise RuntimeError(f"retention_purge row {purge_id} vanished")
        for subject in row.keys:
            crypto.keystore.shred(subject)  # a subject shredded already stays shredded
        row.keys_shredded_at = now


def pending_shreds(session: Session) -> list[tuple[int, str]]:
    """Committed purges whose keys are not all destroyed yet: (row id, public ID)."""
    rows = session.execute(
        select(PurgeRecord.id, PurgeRecord.object_id)
        .where(PurgeRecord.keys_shredded_at.is_(None))
        .order_by(PurgeRecord.id)
    )
    return [(i, o) for i, o in rows]


def run(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime,
    crypto: FieldCrypto | None = None,
    dry_run: bool = False,
    only: set[str] | None = None,
) -> PurgeReport:
    """Purge every record whose retention ended at ``now`` and that no legal hold protects.

    First finish the purges of earlier runs whose keys are still to be shredded."""
    report = PurgeReport(now=now, dry_run=dry_run)

    def crypto_() -> FieldCrypto:
        nonlocal crypto
        if crypto is None:
            from fanguai.security.crypto_runtime import field_crypto

            crypto = field_crypto()
        return crypto

    if not dry_run:
        for purge_id, object_id in pending_shreds(session):
            try:
                shred_keys(session, crypto_(), actor=actor, purge_id=purge_id, now=now)
            except Exception as exc:  # noqa: BLE001 - retried on the next run
                log.exception("retention: shredding the keys of %s failed", object_id)
                report.failed[object_id] = f"keys not shredded yet: {type(exc).__name__}"
        if session.in_transaction():
            session.rollback()
    for data_class in sch.CLASSES:
        if data_class.code not in ANONYMISERS or (only and data_class.code not in only):
            continue
        due = sch.due(session, data_class, settings, now)
        held = held_ids(session, data_class.object_type, [d.object_id for d in due])
        done = report.purged.setdefault(data_class.code, [])
        for item in due:
            if item.object_id in held:
                continue
            if dry_run:
                done.append(item.object_id)
                continue
            try:
                purge_one(session, crypto_(), actor=actor, data_class=data_class, due=item, now=now)
            except RecordHeld:
                held.add(item.object_id)
                continue
            except Exception as exc:  # noqa: BLE001 - one record's failure must not stop the rest
                log.exception("retention purge of %s %s failed", data_class.object_type, item)
                if _purged(session, data_class.object_type, item.object_id):
                    # Purged and audited; only the shredding failed: the next run finishes it.
                    done.append(item.object_id)
                    report.failed[item.object_id] = f"keys not shredded yet: {type(exc).__name__}"
                else:
                    report.failed[item.object_id] = type(exc).__name__
                continue
            done.append(item.object_id)
        report.held[data_class.code] = sorted(held)
        if session.in_transaction():
            session.rollback()
    if report.count and not dry_run:
        from fanguai.people.actions import checkpoint_wal

        checkpoint_wal(session)  # SQLite: erased pages leave the WAL (D8)
    return report


def _purged(session: Session, object_type: str, object_id: str) -> bool:
    if session.in_transaction():
        session.rollback()
    return (
        session.execute(
            select(PurgeRecord.id).where(
                PurgeRecord.object_type == object_type, PurgeRecord.object_id == object_id
            )
        ).first()
        is not None
    )
