"""One candidate list per found person: DNA hits and record-linkage pairs become candidates
(one per family), each with its evidence, its level and its place in the list."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.errors import Conflict
from fanguai.identify import bridges, deadlines, service
from fanguai.identify.bridges import DnaHit, RetestResult, Side
from fanguai.identify.calendar import BEIJING
from fanguai.identify.evidence import DnaScore, candidate_level, dna_level, rank_score
from fanguai.identify.fields import person_birth_date, person_field, sealer_for
from fanguai.identify.models import Candidate, Evidence, FoundPerson, MissingRecord
from fanguai.org.models import Unit
from fanguai.people.models import Person

log = logging.getLogger(__name__)

# fanguai.linkage is imported where it is used: it loads Splink and DuckDB, which the web app
# and the worker need only when a linkage runs.

# Record pairs below this match probability are not leads worth a reviewer's time.
RECORDS_THRESHOLD = 0.5
OPEN_FOUND = ("registered", "sampled")
_SEX = {"male": "M", "female": "F"}


# --- candidates and evidence ----------------------------------------------------------------


def candidate_for(session: Session, found: FoundPerson, side: Side, now: datetime) -> Candidate:
    """The found person's candidate for this side (created on first sight)."""
    candidate = session.execute(
        select(Candidate).where(
            Candidate.found_person_id == found.id,
            Candidate.side_type == side.type,
            Candidate.side_id == side.id,
        )
    ).scalar_one_or_none()
    if candidate is None:
        candidate = Candidate(
            found_person_id=found.id,
            side_type=side.type,
            side_id=side.id,
            side_division=side.division,
            level="lead",
            rank_score=0.0,
            created_at=now,
            updated_at=now,
        )
        session.add(candidate)
        session.flush()
    return candidate


def put_evidence(
    session: Session,
    candidate: Candidate,
    *,
    kind: str,
    score: float,
    detail: dict,
    engine_version: str,
    actor: Actor,
    now: datetime,
) -> Evidence:
    """Add or replace the candidate's evidence of one kind."""
    row = next((e for e in candidate.evidence if e.kind == kind), None)
    if row is None:
        row = Evidence(candidate=candidate, kind=kind)
        session.add(row)
    row.score = score
    row.detail = detail
    row.engine_version = engine_version[:60]
    row.created_at = now
    row.created_by_id = actor.user_id
    return row


def _evidence(candidate: Candidate, kind: str) -> Evidence | None:
    return next((e for e in candidate.evidence if e.kind == kind), None)


def _score(e: Evidence) -> DnaScore:
    return DnaScore(
        lr=float(e.detail.get("lr", 0.0)),
        inconsistent_loci=int(e.detail.get("inconsistent_loci", 0)),
        relationship=str(e.detail.get("relationship") or "parent-child"),
        expected_false_hits=float(e.detail.get("expected_false_hits") or 0.0),
    )


def refresh_level(candidate: Candidate, now: datetime) -> str:
    """Recompute the candidate's level and rank from its evidence and decisions."""
    dna = [_score(e) for e in candidate.evidence if e.kind in ("dna", "dna_retest")]
    level = candidate_level(dna=dna, decision=candidate.decision, retest=candidate.retest)
    dna_row, records_row = _evidence(candidate, "dna"), _evidence(candidate, "records")
    candidate.level = level
    candidate.rank_score = rank_score(
        level,
        log10_lr=dna_row.score if dna_row else None,
        match_weight=records_row.score if records_row else None,
    )
    candidate.updated_at = now
    return level


def _after_change(session: Session, candidate: Candidate, before: str, now: datetime) -> None:
    """Open the re-test deadline when a candidate first becomes DNA-supported."""
    if candidate.level == "dna_supported" and before != "dna_supported":
        deadlines.open_retest_task(session, candidate.found_person, now)


# --- DNA ------------------------------------------------------------------------------------


def dna_detail(hit: DnaHit) -> dict:
    """What a DNA hit contributes to the candidate's evidence."""
    return {
        "match": hit.match_id,
        "specimens": list(hit.specimens),
        "relationship": hit.relationship,
        "lr": hit.lr,
        "log10_lr": hit.log10_lr,
        "inconsistent_loci": hit.inconsistent_loci,
        "loci_compared": hit.loci_compared,
        "expected_false_hits": hit.expected_false_hits,
        "rank": hit.rank,
        "match_class": hit.match_class,
        "level": dna_level(
            DnaScore(hit.lr, hit.inconsistent_loci, hit.relationship, hit.expected_false_hits)
        ),
        "settings": hit.settings,
    }


def _better(hit: DnaHit, current: Evidence | None) -> bool:
    """Trio evidence (a couple) beats a duo, a parent beats another relative; otherwise the
    higher likelihood ratio wins."""
    if current is None:
        return True
    strength, current_strength = (
        _strength(hit.relationship),
        _strength(str(current.detail.get("relationship") or "parent-child")),
    )
    if strength != current_strength:
        return strength > current_strength
    return hit.log10_lr > current.score


def _strength(relationship: str) -> int:
    return {"parents": 2, "parent-child": 1}.get(relationship, 0)


def store_dna_hits(
    session: Session,
    *,
    actor: Actor,
    found: FoundPerson,
    hits: Sequence[DnaHit],
    sides: dict[str, Side],
    now: datetime,
) -> list[Candidate]:
    """Put each hit on the candidate of the family its specimens belong to (inside an action).

    Specimens linked to no family the searcher can see stay a candidate of their own, named by
    its specimens (side ``specimen``), until someone with ``dna.reveal`` reveals it."""
    touched: dict[int, Candidate] = {}
    for hit in hits:
        side = next((sides[s] for s in hit.specimens if s in sides), None)
        side = side or Side("specimen", "+".join(hit.specimens), None)
        candidate = candidate_for(session, found, side, now)
        if not _better(hit, _evidence(candidate, "dna")):
            touched[candidate.id] = candidate
            continue
        before = candidate.level
        put_evidence(
            session,
            candidate,
            kind="dna",
            score=hit.log10_lr,
            detail=dna_detail(hit),
            engine_version=f"fanguai.kinship {hit.engine_version}",
            actor=actor,
            now=now,
        )
        session.flush()
        refresh_level(candidate, now)
        _after_change(session, candidate, before, now)
        touched[candidate.id] = candidate
    return list(touched.values())


def dna_match_id(candidate: Candidate) -> str:
    """The DNA store's match behind the candidate's DNA evidence."""
    row = _evidence(candidate, "dna")
    if row is None or not row.detail.get("match"):
        raise Conflict("this candidate has no DNA evidence", field="dna")
    return str(row.detail["match"])


def retest_verdict(result: RetestResult, relationship: str = "parent-child") -> str:
    """``agrees`` (same class, supporting parentage again), ``disagrees`` (excluding), else
    ``inconclusive`` (add loci, or a sample mix-up: the lab looks again). A relative's re-test
    (``relationship`` pairwise) never excludes and agrees only when its LR alone reaches the
    kinship support threshold."""
    level = dna_level(DnaScore(result.lr, result.inconsistent_loci, relationship))
    if result.agrees and level == "dna_supported" and result.discordant_loci == 0:
        return "agrees"
    if level == "excluded":
        return "disagrees"
    return "inconclusive"


def store_retest(
    session: Session, *, actor: Actor, candidate: Candidate, result: RetestResult, now: datetime
) -> None:
    """Record the re-test on the candidate (inside an action)."""
    dna_row = _evidence(candidate, "dna")
    relationship = str((dna_row.detail if dna_row else {}).get("relationship") or "parent-child")
    verdict = retest_verdict(result, relationship)
    put_evidence(
        session,
        candidate,
        kind="dna_retest",
        score=result.log10_lr,
        detail={
            "retest": result.retest_id,
            "match": result.match_id,
            "lr": result.lr,
            "log10_lr": result.log10_lr,
            "inconsistent_loci": result.inconsistent_loci,
            "match_class": result.match_class,
            "discordant_loci": result.discordant_loci,
            "relationship": relationship,
            "verdict": verdict,
        },
        engine_version=f"fanguai.kinship {result.engine_version}",
        actor=actor,
        now=now,
    )
    candidate.retest = verdict
    session.flush()
    refresh_level(candidate, now)


def resolve_side(session: Session, candidate: Candidate, side: Side | None) -> Candidate:
    """Give a specimen-only candidate the family a reveal named (merging with that family's
    candidate when the records had already found it); returns the candidate that remains."""
    if side is None or candidate.side_type != "specimen":
        return candidate
    other = session.execute(
        select(Candidate).where(
            Candidate.found_person_id == candidate.found_person_id,
            Candidate.side_type == side.type,
            Candidate.side_id == side.id,
        )
    ).scalar_one_or_none()
    if other is None:
        candidate.side_type, candidate.side_id, candidate.side_division = (
            side.type,
            side.id,
            side.division,
        )
        return candidate
    kinds = {e.kind for e in other.evidence}
    for row in list(candidate.evidence):
        if row.kind in kinds:
            session.delete(row)
        else:
            row.candidate = other
    for name in ("retest", "decision", "decision_reason", "decided_at", "decided_by_id"):
        if getattr(other, name) is None:
            setattr(other, name, getattr(candidate, name))
    session.flush()
    session.delete(candidate)
    session.flush()
    session.refresh(other)
    return other


# --- records --------------------------------------------------------------------------------


def _birth(crypto: FieldCrypto, person, at: datetime) -> str | None:  # type: ignore[no-untyped-def]
    """The birth date, or the birth year an estimated age range implies at ``at``."""
    born = person_birth_date(crypto, person)
    if born is not None:
        return born.isoformat()
    ages = [a for a in (person.age_min, person.age_max) if a is not None]
    if not ages:
        return None
    return str(at.astimezone(BEIJING).year - round(sum(ages) / len(ages)))


def found_record(crypto: FieldCrypto, found: FoundPerson):  # type: ignore[no-untyped-def]
    """A found person as the linkage library reads it."""
    from fanguai.linkage import Record

    sealer = sealer_for(crypto, found.person, "found_person", found.public_id)
    claims = service.found_claims(crypto, found)
    return Record(
        id=found.public_id,
        name=person_field(crypto, found.person, "name"),
        sex=_SEX.get(found.person.sex),
        birth_date=_birth(crypto, found.person, found.found_at),
        place_code=found.county_code,
        event_date=found.found_at.astimezone(BEIJING).date(),
        father_name=claims.get("father_name"),
        mother_name=claims.get("mother_name"),
        features=(sealer.open("description", found.description) or "")[:2000] or None,
    )


def record_record(crypto: FieldCrypto, record: MissingRecord):  # type: ignore[no-untyped-def]
    """A long-missing child as the linkage library reads it."""
    from fanguai.linkage import Record

    sealer = sealer_for(crypto, record.person, "missing_record", record.public_id)
    return Record(
        id=f"missing_record:{record.public_id}",
        name=person_field(crypto, record.person, "name"),
        sex=_SEX.get(record.person.sex),
        birth_date=_birth(crypto, record.person, record.registered_at),
        place_code=record.county_code,
        event_date=record.lost_on,
        father_name=sealer.open("father_name", record.father_name),
        mother_name=sealer.open("mother_name", record.mother_name),
        features=(sealer.open("features", record.features) or "")[:2000] or None,
    )


def case_record(session: Session, crypto: FieldCrypto, case):  # type: ignore[no-untyped-def]
    """An open missing-child case as the linkage library reads it (the guardian's name goes
    to the father or mother by the guardian's sex)."""
    from fanguai.linkage import Record

    child = session.get(Person, case.person_id)
    guardian = session.get(Person, case.guardian_person_id) if case.guardian_person_id else None
    parents: dict[str, str | None] = {"father_name": None, "mother_name": None}
    if guardian is not None and guardian.sex in ("male", "female"):
        key = "father_name" if guardian.sex == "male" else "mother_name"
        parents[key] = person_field(crypto, guardian, "name")
    birth = _birth(crypto, child, case.last_seen_at) if child is not None else None
    if birth is None and case.child_age is not None:
        birth = str(case.last_seen_at.astimezone(BEIJING).year - case.child_age)
    return Record(
        id=f"missing_case:{case.public_id}",
        name=person_field(crypto, child, "name") if child is not None else None,
        sex=_SEX.get(case.child_sex),
        birth_date=birth,
        place_code=case.county_code,
        event_date=case.last_seen_at.astimezone(BEIJING).date(),
        features=(case.description or "")[:2000] or None,
        **parents,
    )


def _usable(record, today: date):  # type: ignore[no-untyped-def]
    """The record with any field the library refuses left empty (it is still compared on the
    rest); None when even that fails."""
    from fanguai.linkage import InvalidRecords, validate_records

    for _ in range(2):
        try:
            validate_records([record], source="identify", today=today)
            return record
        except InvalidRecords as exc:
            bad = {p.field for p in exc.problems} - {"id"}
            if not bad or "id" in {p.field for p in exc.problems}:
                return None
            record = dataclasses.replace(record, **{f: None for f in bad if f in _FIELDS})
    return None


_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "place_code",
    "event_date",
    "father_name",
    "mother_name",
    "features",
)


def open_sides(session: Session, *, actor: Actor) -> list[tuple[Side, object]]:
    """The open missing side the actor covers (every one for operators): cases and records."""
    sides: list[tuple[Side, object]] = [
        (bridges.case_side(c), c) for c in bridges.open_cases(session, actor=actor)
    ]
    stmt = (
        select(MissingRecord)
        .join(Unit, Unit.id == MissingRecord.owner_unit_id)
        .where(MissingRecord.status == "open")
        .order_by(MissingRecord.id)
    )
    if actor.is_user:
        stmt = stmt.where(service.scope_clause(actor))
    records = session.execute(stmt).scalars()
    sides += [(Side("missing_record", r.public_id, r.owner_unit.division_code), r) for r in records]
    return sides


def linkage_inputs(
    session: Session, crypto: FieldCrypto, *, actor: Actor, found_id: str | None
) -> tuple[list, list]:
    """The found persons (open ones in scope, or the one named) and the open missing side."""
    if found_id is not None:
        found_rows = [service.get_found_for(session, actor=actor, public_id=found_id)]
    else:
        stmt = (
            select(FoundPerson)
            .join(Unit, Unit.id == FoundPerson.owner_unit_id)
            .where(FoundPerson.status.in_(OPEN_FOUND))
            .order_by(FoundPerson.id)
        )
        if actor.is_user:
            stmt = stmt.where(service.scope_clause(actor))
        found_rows = list(session.execute(stmt).scalars())
    today = datetime.now(BEIJING).date()
    found = [r for r in (_usable(found_record(crypto, f), today) for f in found_rows) if r]
    missing = []
    for side, row in open_sides(session, actor=actor):
        record = (
            case_record(session, crypto, row)
            if side.type == "missing_case"
            else record_record(crypto, row)
        )  # type: ignore[arg-type]
        record = _usable(record, today)
        if record is not None:
            missing.append(record)
    return found, missing


def link_pairs(found: Sequence, missing: Sequence) -> list:
    """Pairs above the records threshold, best first (the linkage library)."""
    if not found or not missing:
        return []
    from fanguai.linkage import link

    # "Today" is Beijing's date, as the records were checked against it (see gather above).
    return link(missing, found, threshold=RECORDS_THRESHOLD, today=datetime.now(BEIJING).date())


def _side_of_record_id(session: Session, record_id: str) -> Side | None:
    kind, _, public_id = record_id.partition(":")
    if kind == "missing_record":
        record = session.execute(
            select(MissingRecord).where(MissingRecord.public_id == public_id)
        ).scalar_one_or_none()
        return Side(kind, public_id, record.owner_unit.division_code) if record else None
    if kind == "missing_case":
        return bridges.side_of_subject(session, "missing_case", public_id)
    return None


def store_pairs(session: Session, *, actor: Actor, pairs: Iterable, now: datetime) -> int:
    """Put each pair's records evidence on its candidate (inside an action)."""
    from fanguai.linkage import LINKAGE_VERSION

    stored = 0
    for pair in pairs:
        found = session.execute(
            select(FoundPerson).where(FoundPerson.public_id == pair.found_id)
        ).scalar_one_or_none()
        side = _side_of_record_id(session, pair.missing_id)
        if found is None or side is None:
            continue
        candidate = candidate_for(session, found, side, now)
        before = candidate.level
        put_evidence(
            session,
            candidate,
            kind="records",
            score=pair.match_weight,
            detail={
                "match_probability": pair.match_probability,
                "match_weight": pair.match_weight,
                "threshold": RECORDS_THRESHOLD,
                "explanation": [
                    {"field": f.field, "level": f.level, "weight": f.weight}
                    for f in pair.explanation
                ],
            },
            engine_version=f"fanguai.linkage {LINKAGE_VERSION}",
            actor=actor,
            now=now,
        )
        session.flush()
        refresh_level(candidate, now)
        _after_change(session, candidate, before, now)
        stored += 1
    return stored
