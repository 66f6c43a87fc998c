"""What this module asks of its neighbours, in one place: the DNA store (fanguai.dna), missing-
child cases (fanguai.alerts), victim assistance (fanguai.victims). Each function states the
contract it relies on; a change of a neighbour's API is met here and nowhere else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.alerts.models import MissingCase
from fanguai.alerts.service import close_as_found
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.dna import service as dna
from fanguai.errors import Forbidden, InvalidInput, NotFound
from fanguai.identify.calendar import BEIJING
from fanguai.identify.fields import person_field
from fanguai.identify.models import FoundPerson, MissingRecord
from fanguai.org.models import Unit
from fanguai.people.models import Person
from fanguai.people.service import mask_name
from fanguai.security.scope import covers
from fanguai.victims.service import open_file_from_found


@dataclass(frozen=True)
class Side:
    """What a found person may belong to: a missing case, a long-missing record, or specimens."""

    type: str  # missing_case | missing_record | specimen
    id: str
    division: str | None  # the owner unit's division (None for specimens)


@dataclass(frozen=True)
class DnaHit:
    """One candidate match of the DNA store, naming specimens only."""

    match_id: str
    specimens: tuple[str, ...]  # the parent, or the couple (father, mother)
    relationship: str  # parent-child | parents | full-siblings, grandparent, … (relatives)
    lr: float
    log10_lr: float
    inconsistent_loci: int
    loci_compared: int
    expected_false_hits: float
    rank: int
    match_class: str
    engine_version: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class RetestResult:
    """The DNA store's re-test of a match with a fresh sample."""

    retest_id: str
    match_id: str
    lr: float
    log10_lr: float
    inconsistent_loci: int
    match_class: str
    agrees: bool
    discordant_loci: int
    engine_version: str


# --- DNA store ------------------------------------------------------------------------------


def specimens_of(
    session: Session, *, actor: Actor, subject_type: str, subject_id: str
) -> list[tuple[str, str]]:
    """(specimen ID, kind) of a subject the actor already knows, in the actor's DNA scope;
    nothing for an actor without ``dna.read`` or ``matches.review``."""
    if not (actor.can("dna.read") or actor.can("matches.review")):
        return []
    try:
        rows = dna.specimens_of(
            session, actor=actor, subject_type=subject_type, subject_id=subject_id
        )
    except (Forbidden, NotFound):
        return []
    return [(s.public_id, s.kind) for s in rows if s.status == "active"]


def specimen_of_found(session: Session, found: FoundPerson, *, actor: Actor) -> str | None:
    """The found person's own specimen, if the lab typed one and the actor may see it."""
    rows = specimens_of(
        session, actor=actor, subject_type="found_person", subject_id=found.public_id
    )
    return rows[0][0] if rows else None


def link_specimen(
    session: Session,
    *,
    actor: Actor,
    specimen: str,
    subject_type: str,
    subject_id: str,
    relation: str,
) -> None:
    """Record whose specimen it is (inside the caller's action; the DNA store keeps the link).

    The specimen must exist in the actor's DNA scope (otherwise "not found")."""
    try:
        dna.get_specimen_for(session, actor=actor, public_id=specimen, permission="dna.import")
    except NotFound:
        raise InvalidInput("no such specimen in your DNA store", field="specimen") from None
    dna.link_specimen(
        session,
        specimen_public_id=specimen,
        subject_type=subject_type,
        subject_id=subject_id,
        relation=relation,
    )


def register_profile(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    profile: Mapping[str, str],
    kit: str,
    lab_ref: str | None,
    subject_type: str,
    subject_id: str,
    relation: str,
) -> str:
    """Register a typed profile in the DNA store (its own action, searched at once), linked."""
    specimen = dna.register_specimen(
        session,
        actor=actor,
        kind=kind,
        profile=dict(profile),
        kit=kit,
        lab_ref=lab_ref or None,
        link={"subject_type": subject_type, "subject_id": subject_id, "relation": relation},
    )
    return specimen.public_id


def dna_hits(session: Session, *, actor: Actor, specimen: str) -> list[DnaHit]:
    """The stored candidate matches of the found person's specimen, best first."""
    out = []
    for match in dna.candidates_for(session, actor=actor, specimen_public_id=specimen):
        if match.status in ("withdrawn", "refuted"):
            continue
        named = dna.specimens_of_match(match)
        parents = tuple(s.public_id for s in named if s.public_id != specimen)
        if len(parents) == len(named):  # the specimen is a parent here, not the child
            continue
        out.append(
            DnaHit(
                match_id=match.public_id,
                specimens=parents,
                relationship=match.relationship,
                lr=float(match.lr),
                log10_lr=_log10(match.lr, match.log10_lr),
                inconsistent_loci=int(match.inconsistent_loci),
                loci_compared=int(match.loci_compared),
                expected_false_hits=float(match.expected_false_hits),
                rank=int(match.rank),
                match_class=match.match_class,
                engine_version=match.engine_version,
                settings=_settings(match.settings),
            )
        )
    return out


def _log10(lr: float, stored: float | None) -> float:
    """log10 of a likelihood ratio; -999 stands for an LR of 0 (impossible data)."""
    if stored is not None:
        return float(stored)
    return math.log10(lr) if lr > 0 else -999.0


def _settings(raw: str | dict | None) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw or "{}")
    except ValueError:
        return {"raw": str(raw)}


def sides_of_specimens(
    session: Session, *, actor: Actor, specimens: Iterable[str], sides: Iterable[Side]
) -> dict[str, Side]:
    """Which of the given sides the specimens are linked to, looked up from the sides the actor
    already knows (their parents' specimens), never from the specimens (that is a reveal)."""
    wanted = set(specimens)
    found: dict[str, Side] = {}
    if not wanted:
        return found
    for side in sides:
        subject = subject_of_side(session, side)
        if subject is None:
            continue
        for specimen, _kind in specimens_of(
            session, actor=actor, subject_type=subject[0], subject_id=subject[1]
        ):
            if specimen in wanted:
                found.setdefault(specimen, side)
        if len(found) == len(wanted):
            break
    return found


def subject_of_side(session: Session, side: Side) -> tuple[str, str] | None:
    """The DNA-store subject a side's parents' specimens are linked to."""
    if side.type == "missing_case":
        return ("missing_case", side.id)
    if side.type == "missing_record":
        person_id = session.execute(
            select(MissingRecord).where(MissingRecord.public_id == side.id)
        ).scalar_one_or_none()
        return ("person", person_id.person.public_id) if person_id is not None else None
    return None


def side_of_subject(session: Session, subject_type: str, subject_id: str) -> Side | None:
    """The side a revealed subject names (a case, or the child of a long-missing record)."""
    if subject_type == "missing_case":
        case = session.execute(
            select(MissingCase).where(MissingCase.public_id == subject_id)
        ).scalar_one_or_none()
        if case is not None:
            return Side("missing_case", case.public_id, case.owner_unit.division_code)
    if subject_type == "person":
        record = session.execute(
            select(MissingRecord)
            .join(Person, Person.id == MissingRecord.person_id)
            .where(Person.public_id == subject_id)
        ).scalar_one_or_none()
        if record is not None:
            return Side("missing_record", record.public_id, record.owner_unit.division_code)
    return None


def side_owner_unit_id(session: Session, side: Side) -> int | None:
    """The unit that owns a case or record side."""
    if side.type == "missing_record":
        record = session.execute(
            select(MissingRecord).where(MissingRecord.public_id == side.id)
        ).scalar_one_or_none()
        return record.owner_unit_id if record else None
    if side.type == "missing_case":
        case = session.execute(
            select(MissingCase).where(MissingCase.public_id == side.id)
        ).scalar_one_or_none()
        return case.owner_unit_id if case else None
    return None


def reveal(session: Session, *, actor: Actor, specimen: str, reason: str) -> list[tuple[str, str]]:
    """Who is behind a specimen: the DNA store checks ``dna.reveal`` and the approved grant and
    writes the high-priority audit record (its own action)."""
    links = dna.reveal_subject(session, actor=actor, specimen_public_id=specimen, reason=reason)
    return [(link.subject_type, link.subject_id) for link in links]


def retest(
    session: Session,
    *,
    actor: Actor,
    match_id: str,
    profile: Mapping[str, str] | None,
) -> RetestResult | None:
    """Run the DNA store's re-test with a fresh profile (its own action), or, without a profile,
    the latest re-test the lab recorded in the DNA store for this match (None if none)."""
    if profile:
        row = dna.retest(session, actor=actor, match_public_id=match_id, profile=dict(profile))
    else:
        match = dna.get_match_for(session, actor=actor, public_id=match_id)
        rows = dna.retests_of(session, match)
        if not rows:
            return None
        row = rows[0]
    return RetestResult(
        retest_id=row.public_id,
        match_id=match_id,
        lr=float(row.lr),
        log10_lr=_log10(row.lr, row.log10_lr),
        inconsistent_loci=int(row.inconsistent_loci),
        match_class=row.match_class,
        agrees=bool(row.agrees),
        discordant_loci=int(row.discordant_loci),
        engine_version=row.engine_version,
    )


def retain_relatives(session: Session, *, specimens: Iterable[str], until: datetime) -> None:
    """R-DNA-8: the case is resolved; the relatives' profiles are shredded at ``until``
    (inside the caller's action; the DNA store's retention job does the shredding)."""
    for specimen in specimens:
        dna.set_retention(session, specimen_public_id=specimen, until=until)


# --- missing-child cases --------------------------------------------------------------------


def open_cases(session: Session, *, actor: Actor) -> list[Any]:
    """Open missing-child cases owned inside the actor's jurisdiction (every one for operators)."""
    rows = session.execute(
        select(MissingCase).where(MissingCase.status == "open").order_by(MissingCase.id)
    ).scalars()
    return [c for c in rows if not actor.is_user or covers(actor, c.owner_unit.division_code)]


def case_side(case: Any) -> Side:
    """The side a case stands for."""
    return Side("missing_case", case.public_id, case.owner_unit.division_code)


def case_label(session: Session, crypto: FieldCrypto, case_id: str) -> str | None:
    """How a case reads in a candidate list: number, masked child name, county, date."""
    from fanguai.identify.service import county_name  # service imports this module

    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == case_id)
    ).scalar_one_or_none()
    if case is None:
        return None
    person = session.get(Person, case.person_id)
    name = mask_name(person_field(crypto, person, "name")) if person else None
    day = case.last_seen_at.astimezone(BEIJING).date().isoformat()
    return f"{case.case_no} · {name or '—'} · {county_name(case.county_code)} · {day}"


def case_for(session: Session, *, actor: Actor, case_id: str) -> Any:
    """An open or closed case owned inside the actor's jurisdiction, else ``NotFound``."""
    case = session.execute(
        select(MissingCase).where(MissingCase.public_id == case_id)
    ).scalar_one_or_none()
    if case is None or not covers(actor, case.owner_unit.division_code):
        raise NotFound("case not found")
    return case


def close_case_as_found(
    session: Session, *, actor: Actor, case_id: str, note: str, now: datetime
) -> None:
    """Close the case with outcome "found" and withdraw its alert, inside the caller's action
    (fanguai.alerts.service.close_as_found; the case leader or a police head above signs)."""
    close_as_found(
        session, actor=actor, case_public_id=case_id, note=note, outcome="found_alive", now=now
    )


# --- victim assistance ----------------------------------------------------------------------


def hand_over_to_victims(
    session: Session, *, actor: Actor, found: FoundPerson, received_at: datetime, unit: Unit
) -> str | None:
    """Open the rescued child's victim file (inside the caller's action); its public ID."""
    victim_file = open_file_from_found(
        session,
        actor=actor,
        found_person_public_id=found.public_id,
        person_public_id=found.person.public_id,
        received_at=received_at,
        unit=unit,
    )
    return victim_file.public_id
