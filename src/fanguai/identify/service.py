"""Queries and rules of the identification module: scope, lists, record views.

Found persons and long-missing records are shared across department lines (police, civil
affairs): a user with ``found.read`` sees those owned by units inside their jurisdiction.
A candidate is listed only when the user also covers its missing side (B2: a county user must
not learn that another county has a matching child); a candidate whose side is not known (the
parents' specimens are linked to no case) is listed to reviewers only (``matches.review``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto, mask
from fanguai.db import utcnow
from fanguai.errors import InvalidInput, NotFound
from fanguai.geo import service as geo
from fanguai.identify import bridges
from fanguai.identify.calendar import BEIJING
from fanguai.identify.fields import person_birth_date, person_field, sealer_for
from fanguai.identify.models import (
    Candidate,
    FoundPerson,
    FoundPhoto,
    MissingRecord,
    Reunification,
)
from fanguai.identify.schemas import (
    CandidateRead,
    EvidenceRead,
    FoundDetail,
    FoundSummary,
    MissingDetail,
    MissingSummary,
)
from fanguai.org.models import Unit
from fanguai.people.service import age_on, mask_name, today_in_beijing
from fanguai.security.scope import covers, covers_clause
from fanguai.tasks.models import Task
from fanguai.tasks.service import tasks_for_subject

SUBJECT = "found_person"


@dataclass(frozen=True)
class Page:
    """A page of results and the total they were drawn from."""

    items: list
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# --- places -------------------------------------------------------------------------------


def county_of(code: str, field: str = "county_code") -> geo.Division:
    """The current Jiangsu county for a code (a retired code maps to its successor)."""
    try:
        division = geo.get_division(geo.successor_code(code))
    except geo.UnknownDivision:
        raise InvalidInput(f"unknown place code {code!r}", field=field) from None
    if division.level != "county":
        raise InvalidInput(f"{code} is not a county-level division", field=field)
    return division


def county_name(code: str) -> str:
    """A county's name for display (the code itself when unknown)."""
    try:
        return geo.get_division(code).name
    except geo.UnknownDivision:
        return code


# --- scope ----------------------------------------------------------------------------------


def in_scope(actor: Actor, owner_unit: Unit) -> bool:
    """A record owned by ``owner_unit`` lies inside the actor's jurisdiction (any line)."""
    return covers(actor, owner_unit.division_code)


def scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL twin of ``in_scope`` (on a query joined with the owner unit)."""
    return covers_clause(actor, Unit.division_code)


def candidate_visible(actor: Actor, candidate: Candidate) -> bool:
    """Whether the actor may see a candidate of a found person they can see."""
    if candidate.side_division is None:
        return actor.can("matches.review")
    return covers(actor, candidate.side_division)


def get_found_for(
    session: Session, *, actor: Actor, public_id: str, lock: bool = False
) -> FoundPerson:
    """The found person, or ``NotFound`` when missing or outside the actor's scope."""
    actor.require("found.read")
    stmt = select(FoundPerson).where(FoundPerson.public_id == public_id)
    if lock:
        stmt = stmt.with_for_update(of=FoundPerson)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None or not in_scope(actor, found.owner_unit):
        raise NotFound("found person not found")
    return found


def get_missing_for(
    session: Session, *, actor: Actor, public_id: str, lock: bool = False
) -> MissingRecord:
    """The long-missing record, or ``NotFound``."""
    actor.require("found.read")
    stmt = select(MissingRecord).where(MissingRecord.public_id == public_id)
    if lock:
        stmt = stmt.with_for_update(of=MissingRecord)
    record = session.execute(stmt).scalar_one_or_none()
    if record is None or not in_scope(actor, record.owner_unit):
        raise NotFound("missing record not found")
    return record


def get_candidate_for(
    session: Session, *, actor: Actor, public_id: str, lock: bool = False
) -> Candidate:
    """A candidate the actor may see (found person and side in scope), else ``NotFound``."""
    actor.require("found.read")
    stmt = select(Candidate).where(Candidate.public_id == public_id)
    if lock:
        stmt = stmt.with_for_update(of=Candidate)
    candidate = session.execute(stmt).scalar_one_or_none()
    if candidate is None:
        raise NotFound("candidate not found")
    found = candidate.found_person
    if not in_scope(actor, found.owner_unit) or not candidate_visible(actor, candidate):
        raise NotFound("candidate not found")
    return candidate


# --- lists ----------------------------------------------------------------------------------


def _task_counts(session: Session, ids: list[str], now: datetime) -> dict[str, tuple[int, int]]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            Task.subject_id,
            func.count(),
            func.sum(case((Task.due_at < now, 1), else_=0)),
        )
        .where(Task.subject_type == SUBJECT, Task.subject_id.in_(ids), Task.status == "open")
        .group_by(Task.subject_id)
    ).all()
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


def _age_text(crypto: FieldCrypto, found: FoundPerson, today: date) -> str:
    person = found.person
    born = person_birth_date(crypto, person)
    if born is not None:
        return str(age_on(born, today))
    if person.age_min is not None or person.age_max is not None:
        low = person.age_min if person.age_min is not None else "?"
        high = person.age_max if person.age_max is not None else "?"
        return f"{low}–{high}"
    return "unknown"


def found_summary(
    crypto: FieldCrypto, found: FoundPerson, today: date, tasks: tuple[int, int] = (0, 0)
) -> FoundSummary:
    """The masked view used in lists."""
    return FoundSummary(
        id=found.public_id,
        name=mask_name(person_field(crypto, found.person, "name")),
        sex=found.person.sex,
        age=_age_text(crypto, found, today),
        source=found.source,
        status=found.status,
        county_code=found.county_code,
        county_name=county_name(found.county_code),
        found_at=found.found_at.isoformat(),
        found_on=found.found_at.astimezone(BEIJING).date().isoformat(),
        owner_unit=found.owner_unit.name,
        open_tasks=tasks[0],
        overdue_tasks=tasks[1],
    )


def list_found(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    status: str | None = None,
    source: str | None = None,
    county_code: str | None = None,
    overdue: bool = False,
    page: int = 1,
    page_size: int = 50,
    now: datetime | None = None,
) -> Page:
    """Found persons in scope, newest first; counts in SQL, only the page decrypted."""
    actor.require("found.read")
    now = now or utcnow()
    stmt = select(FoundPerson).join(FoundPerson.owner_unit).where(scope_clause(actor))
    if status:
        stmt = stmt.where(FoundPerson.status == status)
    if source:
        stmt = stmt.where(FoundPerson.source == source)
    if county_code:
        stmt = stmt.where(FoundPerson.county_code == county_code)
    if overdue:
        late = select(Task.subject_id).where(
            Task.subject_type == SUBJECT, Task.status == "open", Task.due_at < now
        )
        stmt = stmt.where(FoundPerson.public_id.in_(late))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    rows = list(
        session.execute(
            stmt.order_by(FoundPerson.created_at.desc(), FoundPerson.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).scalars()
    )
    counts = _task_counts(session, [f.public_id for f in rows], now)
    today = today_in_beijing(now)
    items = [found_summary(crypto, f, today, counts.get(f.public_id, (0, 0))) for f in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


def found_detail(
    session: Session, crypto: FieldCrypto, found: FoundPerson, now: datetime | None = None
) -> FoundDetail:
    """The record view: identity masked, description in clear (for those in scope)."""
    now = now or utcnow()
    today = today_in_beijing(now)
    counts = _task_counts(session, [found.public_id], now).get(found.public_id, (0, 0))
    base = found_summary(crypto, found, today, counts)
    sealer = sealer_for(crypto, found.person, "found_person", found.public_id)
    claims = json.loads(sealer.open("claims", found.claims) or "{}")
    masked_claims = {
        k: (mask_name(v) if k in ("father_name", "mother_name") else v) or ""
        for k, v in claims.items()
    }
    photos = session.execute(
        select(FoundPhoto.public_id)
        .where(FoundPhoto.found_person_id == found.id)
        .order_by(FoundPhoto.id)
    ).scalars()
    return FoundDetail(
        **base.model_dump(),
        found_by=sealer.open("found_by", found.found_by),
        found_place=sealer.open("found_place", found.found_place),
        description=sealer.open("description", found.description),
        documents=sealer.open("documents", found.documents),
        claims=masked_claims,
        shelter_entered_at=_iso(found.shelter_entered_at),
        search_notice_at=_iso(found.search_notice_at),
        search_notice_ref=found.search_notice_ref,
        sampled_at=_iso(found.sampled_at),
        sample_ref=found.sample_ref,
        identified_at=_iso(found.identified_at),
        reunited_at=_iso(found.reunited_at),
        closed_at=_iso(found.closed_at),
        close_reason=found.close_reason,
        photos=list(photos),
        created_at=found.created_at.isoformat(),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def found_claims(crypto: FieldCrypto, found: FoundPerson) -> dict[str, str]:
    """The claimed family and origin in clear (for matching, never for display)."""
    sealer = sealer_for(crypto, found.person, "found_person", found.public_id)
    return json.loads(sealer.open("claims", found.claims) or "{}")


# --- long-missing records -------------------------------------------------------------------


def missing_summary(crypto: FieldCrypto, record: MissingRecord) -> MissingSummary:
    """The masked list view of a long-missing child."""
    born = person_birth_date(crypto, record.person)
    return MissingSummary(
        id=record.public_id,
        name=mask_name(person_field(crypto, record.person, "name")),
        sex=record.person.sex,
        birth_year=str(born.year) if born else None,
        county_code=record.county_code,
        county_name=county_name(record.county_code),
        lost_on=record.lost_on,
        status=record.status,
        owner_unit=record.owner_unit.name,
        registered_at=record.registered_at.isoformat(),
    )


def missing_detail(
    crypto: FieldCrypto, record: MissingRecord, specimens: list[dict[str, str]]
) -> MissingDetail:
    """The record view of a long-missing child (family names masked)."""
    sealer = sealer_for(crypto, record.person, "missing_record", record.public_id)
    return MissingDetail(
        **missing_summary(crypto, record).model_dump(),
        lost_place=sealer.open("lost_place", record.lost_place),
        father_name=mask_name(sealer.open("father_name", record.father_name)),
        mother_name=mask_name(sealer.open("mother_name", record.mother_name)),
        features=sealer.open("features", record.features),
        contact=_masked_phone(sealer.open("contact", record.contact)),
        specimens=specimens,
    )


def _masked_phone(phone: str | None) -> str | None:
    return mask(phone, 3, 4) if phone else None


def reunification_view(
    crypto: FieldCrypto, found: FoundPerson, row: Reunification
) -> dict[str, str | None]:
    """The reunification record in clear, for those who may see the found person."""
    sealer = sealer_for(crypto, found.person, "reunification", row.public_id)
    return {
        "reunited_on": row.reunited_on.isoformat(),
        "place": sealer.open("place", row.place),
        "family_contacted": sealer.open("family_contacted", row.family_contacted),
        "child_wishes": sealer.open("child_wishes", row.child_wishes),
        "victim_file": row.victim_file_id,
    }


def list_missing(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    status: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """Long-missing records in scope, newest first."""
    actor.require("found.read")
    stmt = select(MissingRecord).join(MissingRecord.owner_unit).where(scope_clause(actor))
    if status:
        stmt = stmt.where(MissingRecord.status == status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    rows = session.execute(
        stmt.order_by(MissingRecord.registered_at.desc(), MissingRecord.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).scalars()
    items = [missing_summary(crypto, r) for r in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


# --- candidates -----------------------------------------------------------------------------


def side_shown(candidate: Candidate) -> bool:
    """Whether the candidate's family may be named: known from records, revealed, or confirmed.

    A candidate found by DNA alone names specimens only until someone with ``dna.reveal``
    reveals it (R-DNA-4)."""
    if candidate.side_type == "specimen":
        return False
    kinds = {e.kind for e in candidate.evidence}
    return (
        "records" in kinds or candidate.revealed_at is not None or candidate.decision == "confirmed"
    )


def candidate_specimens(candidate: Candidate) -> list[str]:
    """The candidate specimens the DNA evidence names."""
    for e in candidate.evidence:
        if e.kind == "dna":
            return list(e.detail.get("specimens", []))
    return []


def side_label(session: Session, crypto: FieldCrypto, candidate: Candidate) -> str | None:
    """How a shown side reads: the case number or the record, with the child's masked name."""
    if candidate.side_type == "missing_record":
        record = session.execute(
            select(MissingRecord).where(MissingRecord.public_id == candidate.side_id)
        ).scalar_one_or_none()
        if record is None:
            return None
        name = mask_name(person_field(crypto, record.person, "name")) or "—"
        return f"{name} · {county_name(record.county_code)} · {record.lost_on or '—'}"
    if candidate.side_type == "missing_case":
        return bridges.case_label(session, crypto, candidate.side_id)
    return None


def candidate_read(session: Session, crypto: FieldCrypto, candidate: Candidate) -> CandidateRead:
    """The API view of a candidate: its side hidden until it may be shown."""
    shown = side_shown(candidate)
    return CandidateRead(
        id=candidate.public_id,
        found_person=candidate.found_person.public_id,
        level=candidate.level,
        side_type=candidate.side_type if shown else None,
        side_id=candidate.side_id if shown else None,
        side_label=side_label(session, crypto, candidate) if shown else None,
        side_hidden=not shown,
        specimens=candidate_specimens(candidate),
        retest=candidate.retest,
        decision=candidate.decision,
        decision_reason=candidate.decision_reason,
        evidence=[
            EvidenceRead(
                kind=e.kind,
                score=e.score,
                engine_version=e.engine_version,
                created_at=e.created_at.isoformat(),
                detail=e.detail,
            )
            for e in candidate.evidence
        ],
    )


def candidates_of_found(session: Session, *, actor: Actor, found: FoundPerson) -> list[Candidate]:
    """The found person's candidate list as the actor may see it, best first."""
    rows = session.execute(
        select(Candidate)
        .where(Candidate.found_person_id == found.id)
        .order_by(Candidate.rank_score.desc(), Candidate.id)
    ).scalars()
    return [c for c in rows if candidate_visible(actor, c)]


def candidates_of_side(
    session: Session, *, actor: Actor, side_type: str, side_id: str
) -> list[Candidate]:
    """Candidates naming one missing child, whose found person the actor may also see.

    Only candidates whose side may be shown are listed: a DNA-only candidate stays with the
    found person until it is revealed."""
    rows = session.execute(
        select(Candidate)
        .join(FoundPerson, FoundPerson.id == Candidate.found_person_id)
        .join(Unit, Unit.id == FoundPerson.owner_unit_id)
        .where(
            Candidate.side_type == side_type,
            Candidate.side_id == side_id,
            scope_clause(actor),
        )
        .order_by(Candidate.rank_score.desc(), Candidate.id)
    ).scalars()
    return [c for c in rows if side_shown(c)]


def review_queue(session: Session, *, actor: Actor, limit: int = 200) -> list[Candidate]:
    """DNA-supported candidates waiting for a re-test or a signature, oldest first."""
    actor.require("matches.review")
    rows = session.execute(
        select(Candidate)
        .join(FoundPerson, FoundPerson.id == Candidate.found_person_id)
        .join(Unit, Unit.id == FoundPerson.owner_unit_id)
        .where(Candidate.level == "dna_supported", scope_clause(actor))
        .order_by(Candidate.updated_at, Candidate.id)
        .limit(limit)
    ).scalars()
    return [c for c in rows if candidate_visible(actor, c)]


def tasks_of(session: Session, found: FoundPerson) -> list[Task]:
    """The found person's deadlines, oldest first."""
    return tasks_for_subject(session, SUBJECT, found.public_id)
