"""The retention schedule: every data class, what starts its clock, its period, what happens.

One declaration per class. ``covers`` names every annotated column (``info["retention"]``) whose
values the class erases: a test checks that each such column of the models belongs to a class,
so a new module cannot forget the schedule. Classes with ``handled_by`` are applied by another
module's job (named there); they are listed so that the schedule is complete in one place.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fanguai.accountability.models import Evaluation
from fanguai.alerts.models import MissingCase
from fanguai.core.actor import Actor
from fanguai.dna.models import Specimen
from fanguai.identify.models import FoundPerson, MissingRecord
from fanguai.leads.models import Lead
from fanguai.org.models import Unit
from fanguai.retention.models import PurgeRecord
from fanguai.security.scope import covers_clause
from fanguai.settings import Settings
from fanguai.victims.models import VictimFile

# Columns every purging class clears for its record: the free-text reasons of released holds.
HOLD_COLUMNS = ("retention_hold.reason", "retention_hold.release_reason")

_PERSON = tuple(
    f"person.{c}"
    for c in (
        "name",
        "former_names",
        "id_card",
        "id_card_index",
        "birth_date",
        "phone",
        "address",
        "notes",
    )
)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (the 31st becomes the month's last day when shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Due:
    """A record whose retention ended: its public ID and when the period ended."""

    object_id: str
    expires_at: datetime


@dataclass(frozen=True)
class DataClass:
    """One class of the schedule."""

    code: str
    object_type: str  # what a legal hold names ("" when records cannot be held)
    title_key: str  # message key of the class's Chinese name
    clock: str  # what starts the clock (words, for the docs and the CLI)
    setting: str | None  # Settings field with the period in months ("alerts.x": AlertSettings)
    action: str  # "anonymise" | "shred" | "delete"
    covers: tuple[str, ...]
    handled_by: str | None = None  # another module's job applies this class

    def months(self, settings: Settings) -> int | None:
        """The period in calendar months (None where the period is set per record)."""
        if self.setting is None:
            return None
        if self.setting.startswith("alerts."):  # the alerts module's own settings object
            from fanguai.alerts.config import alert_settings

            return int(getattr(alert_settings(), self.setting.removeprefix("alerts.")))
        return int(getattr(settings, self.setting))


# The records of a class that could be due at ``now``: (public id, clock start) pairs. The SQL
# cut-off is loose by a few days; ``due`` applies the exact calendar rule in Python.
Candidates = Callable[[Session, datetime], Iterator[tuple[str, datetime]]]


def _cutoff(now: datetime, months: int) -> datetime:
    return add_months(now, -months) + timedelta(days=4)


def _not_purged(object_type: str, column: Any) -> Any:
    done = select(PurgeRecord.object_id).where(PurgeRecord.object_type == object_type)
    return column.not_in(done)


def lead_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Closed leads that never became or joined a case (nor were merged into one that did)."""
    target = Lead.__table__.alias("target")
    linked_target = select(target.c.id).where(target.c.case_public_id.is_not(None))
    rows = session.execute(
        select(Lead.public_id, Lead.closed_at).where(
            Lead.status == "closed",
            Lead.closed_at.is_not(None),
            Lead.closed_at <= cutoff,
            Lead.case_public_id.is_(None),
            or_(Lead.merged_into_id.is_(None), Lead.merged_into_id.not_in(linked_target)),
            _not_purged("lead", Lead.public_id),
        )
    )
    yield from ((p, s) for p, s in rows)


def _ended(
    session: Session, cutoff: datetime, model: Any, object_type: str, status: str, at: Any
) -> Iterator[tuple[str, datetime]]:
    """Records of ``model`` in ``status`` whose moment ``at`` is set and at most ``cutoff``."""
    rows = session.execute(
        select(model.public_id, at).where(
            model.status == status,
            at.is_not(None),
            at <= cutoff,
            _not_purged(object_type, model.public_id),
        )
    )
    yield from ((p, s) for p, s in rows)


def case_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Closed missing-child cases."""
    return _ended(session, cutoff, MissingCase, "missing_case", "closed", MissingCase.closed_at)


def victim_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Closed victim files, those erased early by the victims module too: that erasure keeps
    the person and the links, which their purge then handles."""
    return _ended(session, cutoff, VictimFile, "victim_file", "closed", VictimFile.closed_at)


def found_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Closed or reunited found persons whose victim file (if any) is closed too."""
    start = func.coalesce(FoundPerson.closed_at, FoundPerson.reunited_at)
    open_file = select(VictimFile.found_person_public_id).where(
        VictimFile.status != "closed", VictimFile.found_person_public_id.is_not(None)
    )
    rows = session.execute(
        select(FoundPerson.public_id, FoundPerson.closed_at, FoundPerson.reunited_at).where(
            FoundPerson.status.in_(("closed", "reunited")),
            start.is_not(None),
            start <= cutoff,
            FoundPerson.public_id.not_in(open_file),
            _not_purged("found_person", FoundPerson.public_id),
        )
    )
    for public_id, closed_at, reunited_at in rows:
        yield public_id, closed_at or reunited_at


def missing_record_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Long-missing records whose child was found, from the finding.

    Only ``found`` records have a moment that ends their use (``found_at``). The status
    ``closed`` exists in the model but no code path sets it and no column records when it would
    have happened: the registration is no clock for it (a record registered long ago and closed
    today would be due at once), so such records stay until that moment is recorded."""
    return _ended(session, cutoff, MissingRecord, "missing_record", "found", MissingRecord.found_at)


def evaluation_candidates(session: Session, cutoff: datetime) -> Iterator[tuple[str, datetime]]:
    """Closed evaluations."""
    return _ended(session, cutoff, Evaluation, "evaluation", "closed", Evaluation.closed_at)


def specimen_due(session: Session, now: datetime) -> list[Due]:
    """Relatives' specimens whose ``retain_until`` (set at resolution) has come (R-DNA-8)."""
    rows = session.execute(
        select(Specimen.public_id, Specimen.retain_until).where(
            Specimen.status == "active",
            Specimen.side == "reference",
            Specimen.retain_until.is_not(None),
            Specimen.retain_until <= now,
        )
    )
    return [Due(p, until) for p, until in rows]


CLASSES: tuple[DataClass, ...] = (
    DataClass(
        code="leads",
        object_type="lead",
        title_key="retention.class.leads",
        clock="the lead's closing, when it neither became nor joined a case",
        setting="retention_leads_months",
        action="anonymise",
        covers=(
            "lead.passphrase_hash",
            "lead.reporter_name",
            "lead.reporter_phone",
            "lead.description",
            "lead.child",
            "lead.place_text",
            "lead.point",
            "lead.outcome_note",
            "lead_event.note",
            "lead_attachment.data",
            "lead_idempotency.response",
            *HOLD_COLUMNS,
        ),
    ),
    DataClass(
        code="missing_cases",
        object_type="missing_case",
        title_key="retention.class.missing_cases",
        clock="the case's closing (signed off by the case leader)",
        setting="retention_cases_months",
        action="anonymise",
        # The child's and the guardian's person records; the case's photos are deleted by case.
        covers=(*_PERSON, "missing_case_photo.content", *HOLD_COLUMNS),
    ),
    DataClass(
        code="victim_files",
        object_type="victim_file",
        title_key="retention.class.victim_files",
        clock="the file's closing",
        setting="retention_victims_months",
        action="anonymise",
        # The file's person record too (erased unless another record still keeps it).
        covers=(
            *_PERSON,
            "victim_file.name",
            "victim_file.birth_date",
            "victim_file.notes",
            "victim_file.exploitation",
            "victim_assessment.notes",
            "victim_service.details",
            *HOLD_COLUMNS,
        ),
    ),
    DataClass(
        code="found_persons",
        object_type="found_person",
        title_key="retention.class.found_persons",
        clock="the record's closing, or the reunification",
        setting="retention_found_months",
        action="anonymise",
        covers=(
            *_PERSON,
            "found_person.found_by",
            "found_person.found_place",
            "found_person.description",
            "found_person.documents",
            "found_person.claims",
            "found_photo.content",
            "reunification.place",
            "reunification.family_contacted",
            "reunification.child_wishes",
            *HOLD_COLUMNS,
        ),
    ),
    DataClass(
        code="missing_records",
        object_type="missing_record",
        title_key="retention.class.missing_records",
        clock="the child's being found (records closed otherwise are kept: no closing time)",
        setting="retention_missing_records_months",
        action="anonymise",
        covers=(
            *_PERSON,
            "missing_record.lost_place",
            "missing_record.father_name",
            "missing_record.mother_name",
            "missing_record.features",
            "missing_record.contact",
            *HOLD_COLUMNS,
        ),
    ),
    DataClass(
        code="relatives_dna",
        object_type="dna_specimen",
        title_key="retention.class.relatives_dna",
        clock="the specimen's retain_until, set when the case is resolved (R-DNA-8)",
        setting=None,
        action="shred",
        covers=(
            "dna_profile.genotypes",
            "dna_retest.genotypes",
            "dna_specimen_link.subject_ref",
            "dna_specimen_link.subject_index",
        ),
        handled_by="dna.retention",
    ),
    DataClass(
        code="evaluations",
        object_type="evaluation",
        title_key="retention.class.evaluations",
        clock="the evaluation's closing",
        setting="retention_evaluations_months",
        action="anonymise",
        covers=HOLD_COLUMNS,
    ),
    DataClass(
        code="rate_limits",
        object_type="",
        title_key="retention.class.rate_limits",
        clock="the end of the counter's window",
        setting=None,
        action="delete",
        covers=("lead_rate_bucket.key",),
        handled_by="leads.purge",
    ),
    DataClass(
        code="subscribers",
        object_type="",
        title_key="retention.class.subscribers",
        clock="opting out (at once), or a staff deactivation",
        setting="alerts.inactive_retention_months",
        action="delete",
        covers=("alert_subscriber.address",),
        handled_by="alerts.retention",
    ),
)

BY_CODE = {c.code: c for c in CLASSES}
BY_TYPE = {c.object_type: c for c in CLASSES if c.object_type}

CANDIDATES: dict[str, Candidates] = {
    "leads": lead_candidates,
    "missing_cases": case_candidates,
    "victim_files": victim_candidates,
    "found_persons": found_candidates,
    "missing_records": missing_record_candidates,
    "evaluations": evaluation_candidates,
}


def due(session: Session, data_class: DataClass, settings: Settings, now: datetime) -> list[Due]:
    """The records of a class whose retention period has ended at ``now`` (held ones too)."""
    if data_class.code == "relatives_dna":
        return specimen_due(session, now)
    find = CANDIDATES.get(data_class.code)
    months = data_class.months(settings)
    if find is None or months is None:
        return []
    out = []
    for public_id, start in find(session, _cutoff(now, months)):
        expires = add_months(start, months)
        if expires <= now:
            out.append(Due(public_id, expires))
    return sorted(out, key=lambda d: (d.expires_at, d.object_id))


# --- scope: which records of each class an actor can see (for holds and counts) ---------------


def scope_ids(actor: Actor, object_type: str) -> Any:
    """SQL: the public IDs of the records of this type the actor can see (None: none at all)."""
    from fanguai.alerts import service as alerts
    from fanguai.dna import service as dna
    from fanguai.identify import service as identify
    from fanguai.leads import service as leads
    from fanguai.victims import service as victims

    if object_type == "lead" and actor.can("leads.read"):
        return (
            select(Lead.public_id)
            .join(Unit, Lead.owner_unit_id == Unit.id)
            .where(leads.scope_clause(actor))
        )
    if object_type == "missing_case" and actor.can("cases.read"):
        return (
            select(MissingCase.public_id)
            .join(Unit, MissingCase.owner_unit_id == Unit.id)
            .where(alerts.scope_clause(actor))
        )
    if object_type == "victim_file" and actor.can("victims.read"):
        return (
            select(VictimFile.public_id)
            .join(Unit, VictimFile.owner_unit_id == Unit.id)
            .where(victims.full_scope_clause(actor))
        )
    if object_type == "found_person" and actor.can("found.read"):
        return (
            select(FoundPerson.public_id)
            .join(Unit, FoundPerson.owner_unit_id == Unit.id)
            .where(identify.scope_clause(actor))
        )
    if object_type == "missing_record" and actor.can("found.read"):
        return (
            select(MissingRecord.public_id)
            .join(Unit, MissingRecord.owner_unit_id == Unit.id)
            .where(identify.scope_clause(actor))
        )
    if object_type == "dna_specimen" and (actor.can("dna.read") or actor.can("dna.reveal")):
        return (
            select(Specimen.public_id)
            .join(Unit, Specimen.owner_unit_id == Unit.id)
            .where(dna.scope_clause(actor))
        )
    if object_type == "evaluation" and actor.can("evaluation.score"):
        return select(Evaluation.public_id).where(covers_clause(actor, Evaluation.division_code))
    return None


def visible(session: Session, actor: Actor, object_type: str, object_id: str) -> bool:
    """Whether the record exists and lies in the actor's scope."""
    ids = scope_ids(actor, object_type)
    if ids is None:
        return False
    found = session.execute(
        select(func.count()).select_from(
            ids.where(and_(_id_column(object_type) == object_id)).subquery()
        )
    ).scalar_one()
    return bool(found)


def lock_record(session: Session, object_type: str, object_id: str) -> None:
    """Lock the record's row until the transaction ends (PostgreSQL; SQLite's write lock is
    taken at BEGIN): placing a hold and purging the record cannot interleave."""
    column = _id_column(object_type)
    session.execute(select(column).where(column == object_id).with_for_update())


def _id_column(object_type: str) -> Any:
    return {
        "lead": Lead.public_id,
        "missing_case": MissingCase.public_id,
        "victim_file": VictimFile.public_id,
        "found_person": FoundPerson.public_id,
        "missing_record": MissingRecord.public_id,
        "dna_specimen": Specimen.public_id,
        "evaluation": Evaluation.public_id,
    }[object_type]
