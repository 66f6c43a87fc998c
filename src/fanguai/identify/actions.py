"""State changes of the identification module: each is one action (one transaction, one audit
record, outbox rows). What the DNA store does as actions of its own (registering a typed
profile, a re-test, a reveal) runs just before, and this module's action records the outcome."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.identify import bridges, deadlines, matching, service
from fanguai.identify.calendar import BEIJING, KINDS
from fanguai.identify.fields import Identity, new_person, person_birth_date, sealer_for
from fanguai.identify.imports import parse_found_csv
from fanguai.identify.models import (
    CalendarDay,
    Candidate,
    FoundImport,
    FoundPerson,
    FoundPhoto,
    MissingRecord,
    Reunification,
)
from fanguai.identify.photos import clean_photo
from fanguai.identify.schemas import (
    FoundCreate,
    MissingRecordCreate,
    ReunificationCreate,
)
from fanguai.org.models import Unit
from fanguai.outbox import enqueue
from fanguai.people.service import age_on, today_in_beijing

# A clock a few minutes ahead on the client is not "the future".
CLOCK_SLACK = timedelta(minutes=10)
# From this age a child's own wishes are heard before the return (Civil Code Art. 19: eight).
WISHES_FROM_AGE = 8
# R-DNA-8: the family's profiles are kept this long after the child is home, then shredded
# (time for a complaint or a second look), unless the family withdraws consent earlier.
RELATIVES_RETAINED = timedelta(days=365)


def month_of(moment: datetime) -> str:
    """The Beijing month ``YYYY-MM`` of a moment."""
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def _staff_unit(actor: Actor) -> int:
    if actor.unit_id is None:
        raise Forbidden("only staff of a unit register found persons")
    return actor.unit_id


# --- registering ----------------------------------------------------------------------------


def _check_found(data: FoundCreate, now: datetime) -> str:
    """Checks beyond the schema; returns the current county code."""
    county = service.county_of(data.county_code).code
    if data.found_at > now + CLOCK_SLACK:
        raise InvalidInput("found_at lies in the future", field="found_at")
    if data.shelter_entered_at is not None and data.shelter_entered_at > now + CLOCK_SLACK:
        raise InvalidInput("shelter_entered_at lies in the future", field="shelter_entered_at")
    if data.birth_date is not None and data.birth_date > data.found_at.astimezone(BEIJING).date():
        raise InvalidInput("birth_date lies after found_at", field="birth_date")
    return county


def _add_found(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: FoundCreate,
    county: str,
    now: datetime,
    import_id: int | None = None,
) -> FoundPerson:
    """Add the person and the found record and open the deadlines (inside an action)."""
    person = new_person(
        crypto,
        owner_unit_id=_staff_unit(actor),
        identity=Identity(
            kind="victim" if data.source == "rescue" else "unidentified_child",
            name=data.name,
            former_names=tuple(data.former_names),
            sex=data.sex,
            birth_date=data.birth_date,
            age_min=data.age_min,
            age_max=data.age_max,
            county_code=county,
        ),
    )
    person.created_at = now
    session.add(person)
    session.flush()
    public_id = new_public_id()
    seal = sealer_for(crypto, person, "found_person", public_id).seal
    claims = {
        k: v
        for k, v in (
            ("father_name", data.father_name),
            ("mother_name", data.mother_name),
            ("home_place", data.home_place),
        )
        if v
    }
    shelter = data.shelter_entered_at
    if shelter is None and data.source == "shelter_intake":
        shelter = data.found_at
    found = FoundPerson(
        public_id=public_id,
        person_id=person.id,
        owner_unit_id=person.owner_unit_id,
        county_code=county,
        source=data.source,
        status="registered",
        found_at=data.found_at,
        found_by=seal("found_by", data.found_by),
        found_place=seal("found_place", data.found_place),
        description=seal("description", data.description),
        documents=seal("documents", data.documents),
        claims=seal("claims", json.dumps(claims, ensure_ascii=False) if claims else None),
        shelter_entered_at=shelter,
        import_id=import_id,
        created_at=now,
        registered_month=month_of(now),
        created_by_id=actor.user_id,
    )
    session.add(found)
    session.flush()
    deadlines.open_registration_tasks(session, found, now)
    return found


def register_found(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: FoundCreate,
    now: datetime | None = None,
) -> FoundPerson:
    """Register a found person; the search-notice and DNA-sampling deadlines start now."""
    now = now or utcnow()
    county = _check_found(data, now)
    with action(session, actor, "identify.found.register", object_type="found_person") as act:
        actor.require("found.manage")
        found = _add_found(session, crypto, actor=actor, data=data, county=county, now=now)
        act.object_id = found.public_id
        act.detail.update(source=data.source, county=county)
    return found


def import_found(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    content: bytes,
    filename: str,
    now: datetime | None = None,
) -> FoundImport:
    """Import a screening campaign's CSV: every row valid, or nothing stored (ImportRejected)."""
    now = now or utcnow()
    actor.require("found.manage")
    rows = parse_found_csv(content, today=today_in_beijing(now))
    counties = [_check_found(row, now) for row in rows]
    digest = hashlib.sha256(content).hexdigest()
    with action(session, actor, "identify.found.import", object_type="found_import") as act:
        actor.require("found.manage")
        if session.execute(
            select(FoundImport.id).where(FoundImport.digest == digest)
        ).scalar_one_or_none():
            raise Conflict("this file was imported before", field="file")
        batch = FoundImport(
            owner_unit_id=_staff_unit(actor),
            filename=filename[:200] or "import.csv",
            digest=digest,
            rows=len(rows),
            created_at=now,
            created_by_id=actor.user_id,
        )
        session.add(batch)
        session.flush()
        for row, county in zip(rows, counties, strict=True):
            _add_found(
                session, crypto, actor=actor, data=row, county=county, now=now, import_id=batch.id
            )
        act.object_id = batch.public_id
        act.detail.update(rows=len(rows), sha256=digest)
    return batch


# --- deadlines ------------------------------------------------------------------------------


def record_search_notice(
    session: Session,
    *,
    actor: Actor,
    found_id: str,
    reference: str,
    published_at: datetime | None = None,
    now: datetime | None = None,
) -> FoundPerson:
    """The search notice was published: note where and when, and close its deadline."""
    now = now or utcnow()
    published_at = published_at or now
    if published_at > now + CLOCK_SLACK:
        raise InvalidInput("published_at lies in the future", field="published_at")
    with action(
        session,
        actor,
        "identify.found.search_notice",
        object_type="found_person",
        object_id=found_id,
    ):
        actor.require("found.manage")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        _check_open(found)
        found.search_notice_at = published_at
        found.search_notice_ref = reference
        deadlines.close(session, found, deadlines.SEARCH_NOTICE, by_user_id=actor.user_id, now=now)
    return found


def record_sample(
    session: Session,
    *,
    actor: Actor,
    found_id: str,
    sample_ref: str,
    taken_at: datetime | None = None,
    now: datetime | None = None,
) -> FoundPerson:
    """A blood sample was taken: note it and close the sampling deadline."""
    now = now or utcnow()
    taken_at = taken_at or now
    if taken_at > now + CLOCK_SLACK:
        raise InvalidInput("taken_at lies in the future", field="taken_at")
    with action(
        session, actor, "identify.found.sample", object_type="found_person", object_id=found_id
    ):
        actor.require("found.manage")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        _check_open(found)
        if found.sampled_at is not None:
            raise Conflict("a sample was already recorded", field="sample_ref")
        found.sampled_at = taken_at
        found.sample_ref = sample_ref
        if found.status == "registered":
            found.status = "sampled"
        deadlines.close(session, found, deadlines.DNA_SAMPLING, by_user_id=actor.user_id, now=now)
    return found


def attach_specimen(
    session: Session,
    *,
    actor: Actor,
    found_id: str,
    specimen: str | None = None,
    profile: dict[str, str] | None = None,
    kit: str | None = None,
    lab_ref: str | None = None,
    now: datetime | None = None,
) -> str:
    """The lab typed the person: link an imported specimen, or register the typed profile in
    the DNA store first (its own action, searched at once, linked there); then the sample is
    recorded and its deadline closed."""
    now = now or utcnow()
    if (specimen is None) == (profile is None):
        raise InvalidInput("give either a specimen ID or a typed profile", field="specimen")
    if profile is not None:
        actor.require("dna.import")
        found = service.get_found_for(session, actor=actor, public_id=found_id)
        _check_unlinked(session, actor, found)
        specimen = bridges.register_profile(
            session,
            actor=actor,
            kind="rescued_victim" if found.source == "rescue" else "unknown_child",
            profile=profile,
            kit=kit or "",
            lab_ref=lab_ref,
            subject_type="found_person",
            subject_id=found.public_id,
            relation="self",
        )
    assert specimen is not None
    with action(
        session,
        actor,
        "identify.found.specimen",
        object_type="found_person",
        object_id=found_id,
        detail={"specimen": specimen, "registered": profile is not None},
    ):
        actor.require("dna.import")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        if profile is None:
            _check_unlinked(session, actor, found)
            bridges.link_specimen(
                session,
                actor=actor,
                specimen=specimen,
                subject_type="found_person",
                subject_id=found.public_id,
                relation="self",
            )
        if found.sampled_at is None:
            found.sampled_at = now
        if found.status == "registered":
            found.status = "sampled"
        deadlines.close(session, found, deadlines.DNA_SAMPLING, by_user_id=actor.user_id, now=now)
    return specimen


def _check_unlinked(session: Session, actor: Actor, found: FoundPerson) -> None:
    _check_open(found)
    if bridges.specimen_of_found(session, found, actor=actor) is not None:
        raise Conflict("a specimen is already linked to this person", field="specimen_linked")


def add_photo(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    found_id: str,
    content: bytes,
) -> FoundPhoto:
    """Add a photo, re-encoded without metadata and encrypted."""
    photo = clean_photo(content)
    with action(
        session, actor, "identify.found.photo", object_type="found_person", object_id=found_id
    ) as act:
        actor.require("found.manage")
        found = service.get_found_for(session, actor=actor, public_id=found_id)
        public_id = new_public_id()
        seal = sealer_for(crypto, found.person, "found_photo", public_id).seal
        row = FoundPhoto(
            public_id=public_id,
            found_person_id=found.id,
            content=seal("content", base64.b64encode(photo.jpeg).decode("ascii")),
            width=photo.width,
            height=photo.height,
            created_by_id=actor.user_id,
        )
        session.add(row)
        act.detail["photo"] = public_id
    return row


def close_found(
    session: Session, *, actor: Actor, found_id: str, reason: str, now: datetime | None = None
) -> FoundPerson:
    """Close a record without identification here (identified elsewhere, adult, transferred)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "identify.found.close",
        object_type="found_person",
        object_id=found_id,
        detail={"reason": reason},
    ):
        actor.require("found.manage")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        _check_open(found)
        found.status = "closed"
        found.closed_at = now
        found.close_reason = reason
        deadlines.close(
            session, found, None, by_user_id=actor.user_id, now=now, status="cancelled", note=reason
        )
    return found


def _check_open(found: FoundPerson) -> None:
    if found.status in ("reunited", "closed"):
        raise Conflict(f"the record is {found.status}", field="status")


# --- searching ------------------------------------------------------------------------------


def run_dna_search(
    session: Session, *, actor: Actor, found_id: str, now: datetime | None = None
) -> list[Candidate]:
    """Put the kinship search's results for this person in its candidate list (the DNA store
    searched each specimen when it came in; this reads its matches)."""
    now = now or utcnow()
    with action(
        session, actor, "identify.dna_search", object_type="found_person", object_id=found_id
    ) as act:
        actor.require("dna.search")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        specimen = bridges.specimen_of_found(session, found, actor=actor)
        if specimen is None:
            raise Conflict("no DNA specimen is linked to this person yet", field="specimen_missing")
        hits = bridges.dna_hits(session, actor=actor, specimen=specimen)
        sides = bridges.sides_of_specimens(
            session,
            actor=actor,
            specimens=[s for h in hits for s in h.specimens],
            sides=[side for side, _ in matching.open_sides(session, actor=actor)],
        )
        touched = matching.store_dna_hits(
            session, actor=actor, found=found, hits=hits, sides=sides, now=now
        )
        act.detail.update(specimen=specimen, hits=len(hits), candidates=len(touched))
    return touched


def run_linkage(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    found_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Link found persons in scope (or one) with the missing side in scope by their records."""
    now = now or utcnow()
    if actor.is_user and not (actor.can("found.manage") or actor.can("matches.review")):
        raise Forbidden("permission 'found.manage' or 'matches.review' required")
    found_rows, missing = matching.linkage_inputs(session, crypto, actor=actor, found_id=found_id)
    pairs = matching.link_pairs(found_rows, missing)
    with action(
        session,
        actor,
        "identify.linkage",
        object_type="found_person" if found_id else None,
        object_id=found_id,
        detail={"found": len(found_rows), "missing": len(missing), "pairs": len(pairs)},
    ):
        stored = matching.store_pairs(session, actor=actor, pairs=pairs, now=now)
    return stored


# --- review ---------------------------------------------------------------------------------


def reveal_candidate(
    session: Session, *, actor: Actor, candidate_id: str, reason: str, now: datetime | None = None
) -> Candidate:
    """Reveal whose specimens a DNA-only candidate names (R-DNA-4): the DNA store audits the
    reveal itself; this records the family it names on the candidate."""
    now = now or utcnow()
    actor.require("dna.reveal")
    candidate = service.get_candidate_for(session, actor=actor, public_id=candidate_id)
    specimens = service.candidate_specimens(candidate)
    if not specimens:
        raise Conflict("this candidate names no specimen", field="specimens")
    side, revealed = None, []
    for (
        specimen
    ) in specimens:  # a couple's second parent is revealed only when the first says nothing
        revealed.append(specimen)
        subjects = bridges.reveal(session, actor=actor, specimen=specimen, reason=reason)
        side = next(
            (x for x in (bridges.side_of_subject(session, *s) for s in subjects) if x), None
        )
        if side is not None:
            break
    with action(
        session,
        actor,
        "identify.candidate.reveal",
        object_type="candidate",
        object_id=candidate_id,
        detail={"reason": reason, "specimens": revealed},
        priority="high",
    ) as act:
        candidate = service.get_candidate_for(
            session, actor=actor, public_id=candidate_id, lock=True
        )
        candidate = matching.resolve_side(session, candidate, side)
        candidate.revealed_at = now
        candidate.revealed_by_id = actor.user_id
        candidate.updated_at = now
        act.detail["side"] = side.type if side else None
        if side is not None and not service.candidate_visible(actor, candidate):
            # The family lies outside the revealer's jurisdiction: its unit is told, and the
            # candidate is seen by those who cover both (B2: nothing more for this user).
            enqueue(
                session,
                kind="identify.cross_match",
                unit_id=bridges.side_owner_unit_id(session, side),
                payload={
                    "candidate": candidate.public_id,
                    "found_person": candidate.found_person.public_id,
                },
            )
            act.detail["elsewhere"] = True
    return candidate


def record_retest(
    session: Session,
    *,
    actor: Actor,
    candidate_id: str,
    profile: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Candidate:
    """The lab re-tested a fresh sample of the found person: with a typed ``profile`` the DNA
    store computes the re-test now (its own action), without one its latest re-test of the
    match is taken. The candidate records whether the re-test agrees."""
    now = now or utcnow()
    actor.require("matches.review")
    candidate = service.get_candidate_for(session, actor=actor, public_id=candidate_id)
    if candidate.level != "dna_supported":
        raise Conflict("only a DNA-supported candidate is re-tested", field="level")
    match_id = matching.dna_match_id(candidate)
    result = bridges.retest(session, actor=actor, match_id=match_id, profile=profile)
    if result is None:
        raise Conflict("the DNA store has no re-test of this match yet", field="retest_missing")
    with action(
        session,
        actor,
        "identify.candidate.retest",
        object_type="candidate",
        object_id=candidate_id,
        detail={"retest": result.retest_id, "agrees": result.agrees},
    ):
        candidate = service.get_candidate_for(
            session, actor=actor, public_id=candidate_id, lock=True
        )
        matching.store_retest(session, actor=actor, candidate=candidate, result=result, now=now)
        deadlines.close(
            session, candidate.found_person, deadlines.DNA_RETEST, by_user_id=actor.user_id, now=now
        )
    return candidate


def confirm_candidate(
    session: Session,
    *,
    actor: Actor,
    candidate_id: str,
    note: str | None = None,
    now: datetime | None = None,
) -> Candidate:
    """The analyst signs the identification: DNA-supported, re-test agreeing, family known."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "identify.candidate.confirm",
        object_type="candidate",
        object_id=candidate_id,
        detail={"note": note} if note else None,
        priority="high",
    ):
        actor.require("matches.review")
        candidate = service.get_candidate_for(
            session, actor=actor, public_id=candidate_id, lock=True
        )
        found = candidate.found_person
        _check_open(found)
        if found.status == "identified":
            raise Conflict("this person is already identified", field="status")
        if candidate.level != "dna_supported":
            raise Conflict("only a DNA-supported candidate can be confirmed", field="level")
        if candidate.retest != "agrees":
            raise Conflict("confirmation needs a re-test that agrees", field="retest")
        if candidate.side_type == "specimen":
            raise Conflict(
                "the family behind these specimens is not known yet: reveal it first", field="side"
            )
        candidate.decision = "confirmed"
        candidate.decision_reason = note
        candidate.decided_at = now
        candidate.decided_by_id = actor.user_id
        matching.refresh_level(candidate, now)
        found.status = "identified"
        found.identified_at = now
        found.identified_month = month_of(now)
        enqueue(
            session,
            kind="identify.confirmed",
            unit_id=found.owner_unit_id,
            payload={"found_person": found.public_id, "candidate": candidate.public_id},
        )
    return candidate


def reject_candidate(
    session: Session, *, actor: Actor, candidate_id: str, reason: str, now: datetime | None = None
) -> Candidate:
    """A reviewer rejects a candidate, with the reason (the candidate is excluded)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "identify.candidate.reject",
        object_type="candidate",
        object_id=candidate_id,
        detail={"reason": reason},
    ):
        actor.require("matches.review")
        candidate = service.get_candidate_for(
            session, actor=actor, public_id=candidate_id, lock=True
        )
        if candidate.decision is not None:
            raise Conflict(f"the candidate is already {candidate.decision}", field="decision")
        candidate.decision = "rejected"
        candidate.decision_reason = reason
        candidate.decided_at = now
        candidate.decided_by_id = actor.user_id
        matching.refresh_level(candidate, now)
    return candidate


# --- reunification --------------------------------------------------------------------------


def _needs_wishes(crypto: FieldCrypto, found: FoundPerson, on: date) -> bool:
    """Whether the child may be old enough to be heard (unless surely under eight)."""
    born = person_birth_date(crypto, found.person)
    if born is not None:
        return age_on(born, on) >= WISHES_FROM_AGE
    age_max = found.person.age_max
    return age_max is None or age_max >= WISHES_FROM_AGE


def _confirmed(session: Session, found: FoundPerson) -> Candidate:
    candidate = session.execute(
        select(Candidate).where(
            Candidate.found_person_id == found.id, Candidate.decision == "confirmed"
        )
    ).scalar_one_or_none()
    if candidate is None:
        raise Conflict("the person has no confirmed family", field="candidate")
    return candidate


def reunify(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    found_id: str,
    data: ReunificationCreate,
    now: datetime | None = None,
) -> Reunification:
    """Record the return to the family; the missing case closes ("found") and its alert is
    withdrawn; a rescued victim's file goes to victim assistance."""
    now = now or utcnow()
    today = today_in_beijing(now)
    if data.reunited_on > today:
        raise InvalidInput("reunited_on lies in the future", field="reunited_on")
    with action(
        session,
        actor,
        "identify.reunify",
        object_type="found_person",
        object_id=found_id,
        priority="high",
    ) as act:
        actor.require("found.manage")
        found = service.get_found_for(session, actor=actor, public_id=found_id, lock=True)
        if found.status != "identified":
            raise Conflict("only an identified person is reunited", field="status")
        if data.reunited_on < found.found_at.astimezone(BEIJING).date():
            raise InvalidInput("reunited_on lies before the person was found", field="reunited_on")
        if _needs_wishes(crypto, found, data.reunited_on) and not data.child_wishes:
            raise InvalidInput(
                "a child of eight or more is heard: record the child's wishes", field="child_wishes"
            )
        candidate = _confirmed(session, found)
        public_id = new_public_id()
        seal = sealer_for(crypto, found.person, "reunification", public_id).seal
        row = Reunification(
            public_id=public_id,
            found_person_id=found.id,
            candidate_id=candidate.id,
            reunited_on=data.reunited_on,
            place=seal("place", data.place),
            family_contacted=seal("family_contacted", data.family_contacted),
            child_wishes=seal("child_wishes", data.child_wishes),
            created_at=now,
            created_by_id=actor.user_id,
        )
        session.add(row)
        _close_missing_side(session, actor=actor, candidate=candidate, note=data.note, now=now)
        bridges.retain_relatives(
            session,
            specimens=service.candidate_specimens(candidate),
            until=now + RELATIVES_RETAINED,
        )
        found.status = "reunited"
        found.reunited_at = now
        deadlines.close(session, found, None, by_user_id=actor.user_id, now=now, status="cancelled")
        if found.source == "rescue" or found.person.kind == "victim":
            row.victim_file_id = bridges.hand_over_to_victims(
                session,
                actor=actor,
                found=found,
                received_at=now,
                unit=_victims_unit(session, found),
            )
        enqueue(
            session,
            kind="identify.reunited",
            unit_id=found.owner_unit_id,
            payload={"found_person": found.public_id},
        )
        act.detail.update(side=candidate.side_type, victim_file=row.victim_file_id)
    return row


def _close_missing_side(
    session: Session, *, actor: Actor, candidate: Candidate, note: str | None, now: datetime
) -> None:
    text = note or "身份查找：经DNA比对确认并团聚"
    if candidate.side_type == "missing_case":
        bridges.close_case_as_found(
            session, actor=actor, case_id=candidate.side_id, note=text, now=now
        )
    elif candidate.side_type == "missing_record":
        record = session.execute(
            select(MissingRecord).where(MissingRecord.public_id == candidate.side_id)
        ).scalar_one()
        record.status = "found"
        record.found_at = now


def _victims_unit(session: Session, found: FoundPerson) -> Unit:
    return deadlines.responsible_unit(session, found, "MZ")


# --- the missing side -----------------------------------------------------------------------


def register_missing(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: MissingRecordCreate,
    now: datetime | None = None,
) -> MissingRecord:
    """A family registers a child lost long ago (no alert: a cold case waits for a match)."""
    now = now or utcnow()
    county = service.county_of(data.county_code).code
    today = today_in_beijing(now)
    if data.birth_date is not None and data.birth_date > today:
        raise InvalidInput("birth_date lies in the future", field="birth_date")
    if data.lost_on is not None:
        _check_lost_on(data.lost_on, data.birth_date, today)
    with action(session, actor, "identify.missing.register", object_type="missing_record") as act:
        actor.require("found.manage")
        person = new_person(
            crypto,
            owner_unit_id=_staff_unit(actor),
            identity=Identity(
                kind="missing_child",
                name=data.name,
                sex=data.sex,
                birth_date=data.birth_date,
                county_code=county,
            ),
        )
        person.created_at = now
        session.add(person)
        session.flush()
        public_id = new_public_id()
        seal = sealer_for(crypto, person, "missing_record", public_id).seal
        record = MissingRecord(
            public_id=public_id,
            person_id=person.id,
            owner_unit_id=person.owner_unit_id,
            county_code=county,
            lost_on=data.lost_on,
            lost_place=seal("lost_place", data.lost_place),
            father_name=seal("father_name", data.father_name),
            mother_name=seal("mother_name", data.mother_name),
            features=seal("features", data.features),
            contact=seal("contact", data.contact),
            registered_at=now,
            created_by_id=actor.user_id,
        )
        session.add(record)
        session.flush()
        act.object_id = public_id
    return record


def _check_lost_on(lost_on: str, born: date | None, today: date) -> None:
    parts = [int(p) for p in lost_on.split("-")]
    try:
        first = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise InvalidInput("lost_on is not a real date", field="lost_on") from None
    if first > today:
        raise InvalidInput("lost_on lies in the future", field="lost_on")
    if born is not None and len(parts) == 3 and first < born:
        raise InvalidInput("lost_on lies before birth_date", field="lost_on")


def link_parent_specimen(
    session: Session, *, actor: Actor, missing_id: str, specimen: str, relation: str
) -> MissingRecord:
    """Link a parent's specimen to a long-missing child's record (the DNA store keeps the link)."""
    with action(
        session,
        actor,
        "identify.missing.specimen",
        object_type="missing_record",
        object_id=missing_id,
        detail={"specimen": specimen, "relation": relation},
    ):
        actor.require("dna.import")
        record = service.get_missing_for(session, actor=actor, public_id=missing_id)
        if record.status != "open":
            raise Conflict(f"the record is {record.status}", field="status")
        bridges.link_specimen(
            session,
            actor=actor,
            specimen=specimen,
            subject_type="person",
            subject_id=record.person.public_id,
            relation=relation,
        )
    return record


def link_case_specimen(
    session: Session, *, actor: Actor, case_id: str, specimen: str, relation: str
) -> None:
    """Link a parent's specimen to an open missing-child case (the DNA store keeps the link)."""
    if relation not in ("father", "mother"):
        raise InvalidInput("relation must be father or mother", field="relation")
    with action(
        session,
        actor,
        "identify.case.specimen",
        object_type="missing_case",
        object_id=case_id,
        detail={"specimen": specimen, "relation": relation},
    ):
        actor.require("dna.import")
        case = bridges.case_for(session, actor=actor, case_id=case_id)
        if case.status != "open":
            raise Conflict("the case is closed", field="status")
        bridges.link_specimen(
            session,
            actor=actor,
            specimen=specimen,
            subject_type="missing_case",
            subject_id=case.public_id,
            relation=relation,
        )


# --- the working calendar -------------------------------------------------------------------


def set_calendar_day(
    session: Session, *, actor: Actor, day: date, kind: str, name: str
) -> CalendarDay:
    """Enter (or change) a public holiday or make-up working day (operators on the server)."""
    if actor.is_user:
        raise Forbidden("the working calendar is kept by an operator on the server")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    name = name.strip()
    if not name or len(name) > 40:
        raise InvalidInput("name must be 1 to 40 characters", field="name")
    with action(
        session,
        actor,
        "identify.calendar.set",
        object_type="calendar_day",
        object_id=day.isoformat(),
        detail={"kind": kind, "name": name},
    ):
        row = session.get(CalendarDay, day)
        if row is None:
            row = CalendarDay(day=day, kind=kind, name=name)
            session.add(row)
        row.kind, row.name, row.updated_at = kind, name, utcnow()
    return row


def remove_calendar_day(session: Session, *, actor: Actor, day: date) -> None:
    """Remove an entered day (a built-in day of the 2026 notice is overridden, not removed)."""
    if actor.is_user:
        raise Forbidden("the working calendar is kept by an operator on the server")
    with action(
        session,
        actor,
        "identify.calendar.remove",
        object_type="calendar_day",
        object_id=day.isoformat(),
    ):
        row = session.get(CalendarDay, day)
        if row is None:
            raise InvalidInput(f"{day} has no entry", field="day")
        session.delete(row)
