"""The DNA store: specimens, encrypted profiles, imports, searches, matches, reveal, shredding.

What other modules call (the identification module in particular):

- ``register_specimen`` — one specimen, an action of its own, searched at once;
- ``link_specimen`` — inside the caller's own action: whose specimen it is (restricted link);
- ``candidates_for`` — the candidate matches of a specimen (IDs, LRs, match class);
- ``reveal_subject`` — who is behind a specimen: ``dna.reveal``, an approved reveal grant
  (B9) and a high-priority ``dna.reveal`` audit record;
- ``retest`` — the lab's confirming re-test of a match: a fresh sample's LR, and whether it
  falls in the same match class as the stored one (then the match is ``confirmed``);
- ``withdraw_consent`` / ``expire_retention`` — crypto-shred a relative's profile (R-DNA-8).

Scope: a specimen belongs to the unit that imported it; staff see the specimens of units
inside their jurisdiction and department line (the police line, in practice). Out of scope
answers "not found". Searches cover the whole store, both sides (that is what the database
is for), but a match only ever names specimens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditEvent
from fanguai.core import actions as core_actions
from fanguai.core.actions import ACTION_KEY, action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.dna import index as idx
from fanguai.dna.labfile import (
    LabFile,
    LabSample,
    Notice,
    RowError,
    check_kind,
    check_ref,
    error,
    read_lab_file,
    relation_problem,
)
from fanguai.dna.matching import (
    NewCouple,
    NewSpecimen,
    match_class,
    recompute,
    search_new,
    settings_of,
)
from fanguai.dna.models import (
    KINDS,
    PARENT_KINDS,
    SUBJECT_TYPES,
    CandidateMatch,
    Couple,
    DnaImport,
    DnaProfile,
    Retest,
    RevealGrant,
    Specimen,
    SpecimenLink,
    side_of,
)
from fanguai.dna.models import RELATIONS as KIN_RELATIONS
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanguai.kinship import KinshipError, KinshipResult, KinshipSettings
from fanguai.org.models import Unit
from fanguai.security.scope import covers, covers_clause

__all__ = [
    "CandidateMatch",
    "ImportRefused",
    "ImportResult",
    "RevealedLink",
    "Specimen",
    "SpecimenLink",
    "candidates_for",
    "import_lab_file",
    "link_specimen",
    "register_specimen",
    "retest",
    "reveal_subject",
    "withdraw_consent",
]

GRANT_HOURS = 8
RELATIONS = ("father", "mother", "self", "sibling", "grandparent", "relative")
MAX_TEXT = {"kit": 60, "lab": 80}


def _crypto(crypto: FieldCrypto | None) -> FieldCrypto:
    if crypto is not None:
        return crypto
    from fanguai.security.crypto_runtime import field_crypto

    return field_crypto()


# -- scope ------------------------------------------------------------------------------------


def scope_clause(actor: Actor):  # type: ignore[no-untyped-def]
    """Specimens of units inside the actor's jurisdiction and department line."""
    return and_(covers_clause(actor, Unit.division_code), Unit.department == actor.department)


def in_scope(actor: Actor, specimen: Specimen) -> bool:
    """Python twin of ``scope_clause``."""
    unit = specimen.owner_unit
    return covers(actor, unit.division_code) and unit.department == actor.department


def _require_any(actor: Actor, *permissions: str) -> None:
    if not any(actor.can(p) for p in permissions):
        raise Forbidden(f"permission {permissions[0]!r} required")


def get_specimen_for(
    session: Session, *, actor: Actor, public_id: str, permission: str = "dna.read"
) -> Specimen:
    """The specimen, or ``NotFound`` when missing or outside the actor's scope."""
    actor.require(permission)
    specimen = session.execute(
        select(Specimen).where(Specimen.public_id == public_id)
    ).scalar_one_or_none()
    if specimen is None or not in_scope(actor, specimen):
        raise NotFound("specimen not found")
    return specimen


def list_specimens(
    session: Session,
    *,
    actor: Actor,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[tuple[Specimen, int]], int]:
    """Specimens in scope with their typed-locus counts (no profile is decrypted)."""
    actor.require("dna.read")
    stmt = (
        select(Specimen, DnaProfile.locus_count)
        .join(Specimen.owner_unit)
        .join(DnaProfile, DnaProfile.specimen_id == Specimen.id)
        .where(scope_clause(actor))
    )
    if kind:
        stmt = stmt.where(Specimen.kind == kind)
    if status:
        stmt = stmt.where(Specimen.status == status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(Specimen.id.desc()).limit(page_size).offset((max(1, page) - 1) * page_size)
    ).all()
    return [(s, n) for s, n in rows], total


def couples_of(session: Session, specimen: Specimen) -> list[Couple]:
    """The couples a parent belongs to."""
    return list(
        session.execute(
            select(Couple).where(
                or_(Couple.father_id == specimen.id, Couple.mother_id == specimen.id)
            )
        ).scalars()
    )


# -- profiles and audited reads ---------------------------------------------------------------


def _profile_row(session: Session, specimen: Specimen) -> DnaProfile:
    return session.execute(
        select(DnaProfile).where(DnaProfile.specimen_id == specimen.id)
    ).scalar_one()


def _decrypt_profile(session: Session, crypto: FieldCrypto, specimen: Specimen) -> dict[str, str]:
    row = _profile_row(session, specimen)
    if row.genotypes is None:
        raise Conflict("this profile was shredded (consent withdrawn or retention expired)")
    return idx.open_profile(crypto, specimen, row.genotypes)


def _computable_profile(
    session: Session, crypto: FieldCrypto, specimen: Specimen
) -> dict[str, str]:
    """The decrypted profile as every computation sees it: only the loci the store's table
    has frequencies for (a stored locus such as D6S1043 is shown, never compared)."""
    return idx.computable(_decrypt_profile(session, crypto, specimen))


def _record_read(session: Session, actor: Actor, specimen: Specimen, why: str) -> None:
    core_actions.record(
        session,
        actor,
        "dna.profile.read",
        outcome="success",
        object_type="dna_specimen",
        object_id=specimen.public_id,
        detail={"view": why},
    )


def read_profile(
    session: Session, *, actor: Actor, specimen: Specimen, crypto: FieldCrypto | None = None
) -> dict[str, str]:
    """The specimen's allele calls (DNA analysts only); every read is audited (R-DNA-5)."""
    actor.require("dna.read")
    if not in_scope(actor, specimen):
        raise NotFound("specimen not found")
    profile = _decrypt_profile(session, _crypto(crypto), specimen)
    _record_read(session, actor, specimen, "profile")
    return profile


def access_log(session: Session, *, actor: Actor, specimen: Specimen) -> list[AuditEvent]:
    """Who read or acted on this specimen (R-DNA-5): the audit admin and DNA supervisors."""
    _require_any(actor, "dna.reveal", "audit.read")
    return list(
        session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "dna_specimen",
                AuditEvent.object_id == specimen.public_id,
            )
            .order_by(AuditEvent.seq)
        ).scalars()
    )


# -- imports ----------------------------------------------------------------------------------


class ImportRefused(InvalidInput):
    """A lab file with errors: nothing was imported. ``errors`` lists each with row and locus.

    The message names where the first problem is, never the rejected value (it lands in the
    audit log); the full list goes back to the person who sent the file.
    """

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        where = first.where()
        super().__init__(
            f"import refused, nothing imported: {len(errors)} problem(s)"
            + (f"; first at {where}" if where else ""),
            field="file",
        )
        self.errors = errors


@dataclass
class ImportResult:
    """What an import stored: its specimens (lab number → specimen) and their matches."""

    import_id: str
    specimens: list[Specimen] = field(default_factory=list)
    matches: list[CandidateMatch] = field(default_factory=list)
    # Loci stored but not searched (no frequencies), once each: not errors.
    notices: list[Notice] = field(default_factory=list)


def _check_text(name: str, value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_TEXT[name] or any(ord(c) < 32 for c in text):
        raise InvalidInput(f"{name} must be 1–{MAX_TEXT[name]} printable characters", field=name)
    return text


def _taken_refs(session: Session, lab: str, refs: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        taken.update(
            session.execute(
                select(Specimen.lab_ref).where(Specimen.lab == lab, Specimen.lab_ref.in_(chunk))
            ).scalars()
        )
    return taken


def check_lab_file(session: Session, text: str, layout: str, *, lab: str) -> LabFile:
    """Read a lab file and check it against the store (duplicate lab numbers) — no writes."""
    parsed = read_lab_file(text, layout, idx.store_table(), min_loci=idx.MIN_LOCI)
    if not parsed.errors:
        taken = _taken_refs(session, lab, [s.ref for s in parsed.samples])
        for sample in parsed.samples:
            if sample.ref in taken:
                parsed.add_error(error(sample.row, "taken", sample=sample.ref))
    return parsed


def _new_specimens(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    samples: list[LabSample],
    batch: DnaImport,
    now: datetime,
) -> list[NewSpecimen]:
    """Specimens and their encrypted profiles (the plain profiles stay in memory)."""
    specimens = [
        Specimen(
            public_id=new_public_id(),
            kind=sample.kind,
            side=side_of(sample.kind),
            relation=sample.relation,
            kit=batch.kit,
            lab=batch.lab,
            lab_ref=sample.ref,
            owner_unit_id=actor.unit_id,
            import_id=batch.id,
            status="active",
            created_at=now,
        )
        for sample in samples
    ]
    session.add_all(specimens)
    session.flush()
    new = []
    for sample, specimen in zip(samples, specimens, strict=True):
        profile = sample.profile()
        session.add(
            DnaProfile(
                specimen_id=specimen.id,
                genotypes=idx.seal_profile(crypto, specimen, profile),
                locus_count=len(profile),
            )
        )
        new.append(NewSpecimen(specimen, idx.computable(profile)))
    return new


def _new_couple(
    session: Session, father: NewSpecimen, mother: NewSpecimen, now: datetime, query: Specimen
) -> NewCouple:
    couple = Couple(
        public_id=new_public_id(),
        father_id=father.specimen.id,
        mother_id=mother.specimen.id,
        status="active",
        created_at=now,
    )
    session.add(couple)
    session.flush()
    return NewCouple(couple, father.profile, mother.profile, query)


def _store_samples(
    session: Session,
    stage: idx.Staged,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    samples: list[LabSample],
    batch: DnaImport,
    now: datetime,
    partner: NewSpecimen | None = None,
) -> tuple[list[NewSpecimen], list[CandidateMatch]]:
    """Create specimens, profiles and couples; index and search them; store the matches."""
    new = _new_specimens(session, crypto, actor=actor, samples=samples, batch=batch, now=now)
    couples: list[NewCouple] = []
    by_label: dict[str, dict[str, NewSpecimen]] = {}
    for sample, item in zip(samples, new, strict=True):
        if sample.couple is not None:
            by_label.setdefault(sample.couple, {})[sample.kind] = item
    for pair in by_label.values():
        father, mother = pair["father"], pair["mother"]
        couples.append(_new_couple(session, father, mother, now, father.specimen))
    if partner is not None:
        (item,) = new
        father, mother = (item, partner) if item.specimen.kind == "father" else (partner, item)
        couples.append(_new_couple(session, father, mother, now, item.specimen))
    matches = search_new(session, stage, new, couples, now=now)
    session.flush()
    return new, matches


def import_lab_file(
    session: Session,
    *,
    actor: Actor,
    text: str,
    layout: str,
    kit: str,
    lab: str | None = None,
    crypto: FieldCrypto | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import a lab file as a whole, or refuse it as a whole (``ImportRefused``).

    Every new specimen is searched against the other side at once; the matches are stored.
    """
    crypto = _crypto(crypto)
    now = now or utcnow()
    kit = _check_text("kit", kit)
    lab = _check_text("lab", lab or (actor.unit_name or ""))
    with (
        idx.staged(session, crypto) as stage,
        action(session, actor, "dna.import", object_type="dna_import") as act,
    ):
        actor.require("dna.import")
        if actor.unit_id is None:
            raise Forbidden("only staff of a unit import lab results")
        parsed = check_lab_file(session, text, layout, lab=lab)
        if parsed.errors:
            raise ImportRefused(parsed.errors)
        batch = DnaImport(
            public_id=new_public_id(),
            owner_unit_id=actor.unit_id,
            imported_by_id=actor.user_id,
            layout=layout,
            kit=kit,
            lab=lab,
            rows=parsed.rows,
            specimens=len(parsed.samples),
            created_at=now,
        )
        session.add(batch)
        session.flush()
        new, matches = _store_samples(
            session, stage, crypto, actor=actor, samples=parsed.samples, batch=batch, now=now
        )
        act.object_id = batch.public_id
        act.detail.update(
            {"layout": layout, "rows": parsed.rows, "specimens": len(new), "matches": len(matches)}
        )
    return ImportResult(batch.public_id, [n.specimen for n in new], matches, parsed.notices)


# -- one specimen (the identification module's entry point) -----------------------------------


@dataclass(frozen=True)
class LinkSpec:
    """Whose specimen it is: ``subject_type`` person | missing_case | found_person."""

    subject_type: str
    subject_id: str
    relation: str


def _link_spec(link: LinkSpec | Mapping[str, str] | None) -> LinkSpec | None:
    if link is None or isinstance(link, LinkSpec):
        return link
    try:
        return LinkSpec(link["subject_type"], link["subject_id"], link["relation"])
    except KeyError as exc:
        raise InvalidInput(f"link needs {exc.args[0]!r}", field="link") from None


def _sample_from_profile(
    kind: str, profile: Mapping[str, object], ref: str, relation: str | None = None
) -> LabSample:
    """Check a single profile like a one-row lab file (row numbers are left out)."""
    table = idx.store_table()
    kind_code = check_kind(kind)
    if kind_code is None:
        raise InvalidInput(f"unknown kind (one of {', '.join(KINDS)})", field="kind")
    if relation is not None and not isinstance(relation, str):
        raise InvalidInput("relation must be text", field="relation")
    relation_code, problem = relation_problem(kind_code, relation or "")
    if problem is not None:
        raise InvalidInput(error(None, problem).message, field="relation")
    why = check_ref(ref)
    if why:
        raise InvalidInput(error(None, why).message, field="lab_ref")
    values = [
        "/".join(map(str, v)) if isinstance(v, list | tuple) else str(v) for v in profile.values()
    ]
    header = ["sample", "kind", "relation", *map(str, profile.keys())]
    rows = [header, [ref, kind_code, relation_code or "", *values]]
    text = "\n".join(",".join(_csv_cell(c) for c in row) for row in rows)
    parsed = read_lab_file(text, "wide", table, min_loci=idx.MIN_LOCI)
    if parsed.errors:
        first = parsed.errors[0]
        message = f"locus {first.locus}: {first.message}" if first.locus else first.message
        raise InvalidInput(message, field=f"profile.{first.locus}" if first.locus else "profile")
    return parsed.samples[0]


def _csv_cell(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"'


def register_specimen(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    profile: Mapping[str, object],
    kit: str,
    lab: str | None = None,
    link: LinkSpec | Mapping[str, str] | None = None,
    couple_with: str | None = None,
    lab_ref: str | None = None,
    relation: str | None = None,
    crypto: FieldCrypto | None = None,
    now: datetime | None = None,
) -> Specimen:
    """Register one specimen (an action of its own) and search it against the other side.

    ``couple_with`` names an existing father or mother specimen to register this one with as
    a couple (searched as parents); ``link`` records whose specimen it is (restricted link);
    ``relation`` is a ``relative``'s relationship to the missing child (required for that kind,
    refused for others): full-siblings, half-siblings, grandparent, avuncular, first-cousins
    (or their Chinese names).
    """
    crypto = _crypto(crypto)
    now = now or utcnow()
    kit = _check_text("kit", kit)
    lab = _check_text("lab", lab or (actor.unit_name or ""))
    spec = _link_spec(link)
    with (
        idx.staged(session, crypto) as stage,
        action(session, actor, "dna.register", object_type="dna_specimen") as act,
    ):
        actor.require("dna.import")
        if actor.unit_id is None:
            raise Forbidden("only staff of a unit register specimens")
        ref = lab_ref or f"R-{new_public_id()[:13]}"
        sample = _sample_from_profile(kind, profile, ref, relation)
        if _taken_refs(session, lab, [ref]):
            raise Conflict(f"sample {ref} is already in the store for this lab")
        partner = _partner(session, crypto, actor, sample, couple_with)
        batch = DnaImport(
            public_id=new_public_id(),
            owner_unit_id=actor.unit_id,
            imported_by_id=actor.user_id,
            layout="single",
            kit=kit,
            lab=lab,
            rows=1,
            specimens=1,
            created_at=now,
        )
        session.add(batch)
        session.flush()
        (new,), matches = _store_samples(
            session, stage, crypto, actor=actor, samples=[sample], batch=batch, now=now,
            partner=partner,
        )  # fmt: skip
        if spec is not None:
            _add_link(session, crypto, new.specimen, spec)
        act.object_id = new.specimen.public_id
        act.detail.update({"kind": sample.kind, "matches": len(matches)})
        if sample.relation:
            act.detail["relation"] = sample.relation
    return new.specimen


def _partner(
    session: Session, crypto: FieldCrypto, actor: Actor, sample: LabSample, couple_with: str | None
) -> NewSpecimen | None:
    if couple_with is None:
        return None
    other = get_specimen_for(session, actor=actor, public_id=couple_with, permission="dna.import")
    if sorted((sample.kind, other.kind)) != sorted(PARENT_KINDS) or other.status != "active":
        raise InvalidInput("a couple is an active father and an active mother", field="couple_with")
    if any(c.status == "active" for c in couples_of(session, other)):
        raise Conflict("that parent is already registered in a couple")
    return NewSpecimen(other, _computable_profile(session, crypto, other))


# -- links ------------------------------------------------------------------------------------


def _subject_key(subject_type: str, subject_id: str) -> str:
    return f"{subject_type}:{subject_id}"


def _add_link(
    session: Session, crypto: FieldCrypto, specimen: Specimen, spec: LinkSpec
) -> SpecimenLink:
    if spec.subject_type not in SUBJECT_TYPES:
        raise InvalidInput(
            f"subject_type must be one of {', '.join(SUBJECT_TYPES)}", field="subject_type"
        )
    if spec.relation not in RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(RELATIONS)}", field="relation")
    if not spec.subject_id or len(spec.subject_id) > 64:
        raise InvalidInput("subject_id must be a public ID", field="subject_id")
    if specimen.status != "active":
        raise Conflict("a withdrawn specimen cannot be linked")
    key = _subject_key(spec.subject_type, spec.subject_id)
    link = SpecimenLink(
        public_id=new_public_id(),
        specimen_id=specimen.id,
        subject_type=spec.subject_type,
        relation=spec.relation,
    )
    link.subject_ref = crypto.encrypt(
        spec.subject_id,
        subject_id=specimen.key_subject,
        table="dna_specimen_link",
        column="subject_ref",
        row_id=link.public_id,
    )
    link.subject_index = crypto.blind_index("dna_specimen_link.subject", key)
    session.add(link)
    session.flush()
    return link


def link_specimen(
    session: Session,
    *,
    specimen_public_id: str,
    subject_type: str,
    subject_id: str,
    relation: str,
    crypto: FieldCrypto | None = None,
) -> SpecimenLink:
    """Record whose specimen this is, inside the caller's own action (no audit of its own)."""
    if session.info.get(ACTION_KEY) is None:
        raise RuntimeError("link_specimen must run inside an action")
    specimen = session.execute(
        select(Specimen).where(Specimen.public_id == specimen_public_id)
    ).scalar_one_or_none()
    if specimen is None:
        raise NotFound("specimen not found")
    return _add_link(
        session, _crypto(crypto), specimen, LinkSpec(subject_type, subject_id, relation)
    )


def specimens_of(
    session: Session,
    *,
    actor: Actor,
    subject_type: str,
    subject_id: str,
    crypto: FieldCrypto | None = None,
) -> list[Specimen]:
    """The specimens linked to a subject the caller already knows (IDs only, no profile)."""
    _require_any(actor, "dna.read", "matches.review")
    key = _subject_key(subject_type, subject_id)
    digest = _crypto(crypto).blind_index("dna_specimen_link.subject", key)
    rows = session.execute(
        select(Specimen)
        .join(SpecimenLink, SpecimenLink.specimen_id == Specimen.id)
        .where(SpecimenLink.subject_index == digest)
        .order_by(Specimen.id)
    ).scalars()
    return [s for s in rows if in_scope(actor, s)]


# -- matches ----------------------------------------------------------------------------------


def _matches_clause(specimen: Specimen):  # type: ignore[no-untyped-def]
    couple_ids = select(Couple.id).where(
        or_(Couple.father_id == specimen.id, Couple.mother_id == specimen.id)
    )
    return or_(
        CandidateMatch.child_id == specimen.id,
        CandidateMatch.parent_id == specimen.id,
        CandidateMatch.couple_id.in_(couple_ids),
    )


def candidates_for(
    session: Session, *, actor: Actor, specimen_public_id: str
) -> list[CandidateMatch]:
    """Every candidate match naming this specimen (its own searches and others'), best first."""
    _require_any(actor, "dna.read", "matches.review")
    specimen = session.execute(
        select(Specimen).where(Specimen.public_id == specimen_public_id)
    ).scalar_one_or_none()
    if specimen is None or not in_scope(actor, specimen):
        raise NotFound("specimen not found")
    rows = session.execute(
        select(CandidateMatch)
        .where(_matches_clause(specimen), CandidateMatch.status != "withdrawn")
        .order_by(CandidateMatch.log10_lr.desc(), CandidateMatch.id)
    ).scalars()
    return list(rows)


def specimens_of_match(match: CandidateMatch) -> list[Specimen]:
    """The child and the parent or both parents of a couple."""
    if match.couple is not None:
        return [match.child, match.couple.father, match.couple.mother]
    return [match.child, match.parent]  # type: ignore[list-item]


def get_match_for(session: Session, *, actor: Actor, public_id: str) -> CandidateMatch:
    """A match one of whose specimens is in the actor's scope, else ``NotFound``."""
    _require_any(actor, "dna.read", "matches.review")
    match = session.execute(
        select(CandidateMatch).where(CandidateMatch.public_id == public_id)
    ).scalar_one_or_none()
    if match is None or not any(in_scope(actor, s) for s in specimens_of_match(match)):
        raise NotFound("match not found")
    return match


@dataclass
class MatchDetail:
    """A match recomputed locus by locus, with the genotypes compared (an audited read)."""

    match: CandidateMatch
    result: KinshipResult
    genotypes: dict[str, dict[str, str]]  # role → {locus: "a/b"}
    settings: KinshipSettings


def _roles(match: CandidateMatch) -> list[tuple[str, Specimen]]:
    if match.couple is not None:
        return [
            ("child", match.child),
            ("father", match.couple.father),
            ("mother", match.couple.mother),
        ]
    other = "relative" if match.relationship in KIN_RELATIONS else "parent"
    return [("child", match.child), (other, match.parent)]  # type: ignore[list-item]


def match_detail(
    session: Session,
    *,
    actor: Actor,
    match: CandidateMatch,
    settings: KinshipSettings | None = None,
    crypto: FieldCrypto | None = None,
) -> MatchDetail:
    """Per-locus LRs of a match (``duo_lr`` / ``parents_lr``), with the stored settings or
    others the analyst tries; reading the genotypes is audited for each specimen."""
    actor.require("dna.read")
    crypto = _crypto(crypto)
    settings = settings or settings_of(match)
    roles = _roles(match)
    genotypes = {role: _computable_profile(session, crypto, s) for role, s in roles}
    try:
        result = recompute(
            match.relationship,
            genotypes["child"],
            [genotypes[r] for r, _ in roles[1:]],
            idx.store_table(),
            settings,
        )
    except KinshipError as exc:
        raise InvalidInput(str(exc), field="settings") from None
    for _, specimen in roles:
        _record_read(session, actor, specimen, f"match {match.public_id}")
    return MatchDetail(match, result, genotypes, settings)


# -- re-test ----------------------------------------------------------------------------------


def retest(
    session: Session,
    *,
    actor: Actor,
    match_public_id: str,
    profile: Mapping[str, object],
    specimen_public_id: str | None = None,
    crypto: FieldCrypto | None = None,
    now: datetime | None = None,
) -> Retest:
    """Record the lab's re-test of a match with a fresh sample of one of its specimens.

    The fresh profile (of ``specimen_public_id``; by default the match's child) replaces the
    stored one in the match's computation, with the match's own settings. The re-test agrees
    when its LR falls in the same match class; the match becomes ``confirmed``, else
    ``disputed``. Loci where the fresh and the stored profile of the same specimen differ are
    counted (a mix-up of samples shows there). The fresh profile is kept, encrypted.
    """
    crypto = _crypto(crypto)
    now = now or utcnow()
    with action(
        session, actor, "dna.retest", object_type="dna_match", object_id=match_public_id
    ) as act:
        actor.require("dna.import")
        match = get_match_for(session, actor=actor, public_id=match_public_id)
        if match.status == "withdrawn":
            raise Conflict("this match was withdrawn with a shredded profile")
        roles = _roles(match)
        target = specimen_public_id or match.child.public_id
        role = next((r for r, s in roles if s.public_id == target), None)
        if role is None:
            raise InvalidInput("the specimen is not part of this match", field="specimen")
        fresh = _sample_from_profile(dict(roles)[role].kind, profile, "RETEST").profile()
        genotypes = {r: _computable_profile(session, crypto, s) for r, s in roles}
        stored = genotypes[role]
        genotypes[role] = idx.computable(fresh)
        settings = settings_of(match)
        result = recompute(
            match.relationship,
            genotypes["child"],
            [genotypes[r] for r, _ in roles[1:]],
            idx.store_table(),
            settings,
        )
        cls = match_class(result.lr, result.inconsistent_loci, match.relationship)
        specimen = dict(roles)[role]
        row = Retest(
            public_id=new_public_id(),
            match_id=match.id,
            specimen_id=specimen.id,
            lr=result.lr,
            log10_lr=result.log10_lr if result.lr > 0 else None,
            inconsistent_loci=result.inconsistent_loci,
            match_class=cls,
            agrees=cls == match.match_class,
            discordant_loci=sum(
                1 for x in genotypes[role].keys() & stored.keys() if fresh[x] != stored[x]
            ),
            engine_version=result.engine_version,
            settings=match.settings,
            created_by_id=actor.user_id,
            created_at=now,
        )
        row.genotypes = crypto.encrypt(
            json.dumps(fresh, sort_keys=True),
            subject_id=specimen.key_subject,
            table="dna_retest",
            column="genotypes",
            row_id=row.public_id,
        )
        session.add(row)
        match.status = "confirmed" if row.agrees else "disputed"
        act.detail.update({"specimen": specimen.public_id, "class": cls, "agrees": row.agrees})
    return row


def retests_of(session: Session, match: CandidateMatch) -> list[Retest]:
    """The re-tests recorded for a match, newest first."""
    return list(
        session.execute(
            select(Retest).where(Retest.match_id == match.id).order_by(Retest.id.desc())
        ).scalars()
    )


# -- reveal (R-DNA-4, B9) ---------------------------------------------------------------------


@dataclass(frozen=True)
class RevealedLink:
    """Who a specimen belongs to, as revealed (plain values, never stored this way)."""

    specimen_id: str
    subject_type: str
    subject_id: str
    relation: str


def _check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < 4 or len(text) > 500:
        raise InvalidInput("reason must be 4–500 characters", field="reason")
    return text


def active_reveal_grant(
    session: Session, *, actor: Actor, specimen: Specimen, now: datetime | None = None
) -> RevealGrant | None:
    """The actor's approved, unexpired reveal grant for this specimen, if any."""
    now = now or utcnow()
    return (
        session.execute(
            select(RevealGrant)
            .where(
                RevealGrant.specimen_id == specimen.id,
                RevealGrant.requester_id == actor.user_id,
                RevealGrant.status == "approved",
                RevealGrant.expires_at > now,
            )
            .order_by(RevealGrant.expires_at.desc())
        )
        .scalars()
        .first()
    )


def request_reveal_grant(
    session: Session,
    *,
    actor: Actor,
    specimen_public_id: str,
    reason: str,
    now: datetime | None = None,
) -> RevealGrant:
    """Ask another supervisor for time-limited permission to reveal a specimen's subject."""
    reason = _check_reason(reason)
    with action(
        session,
        actor,
        "dna.reveal_grant.request",
        object_type="dna_specimen",
        object_id=specimen_public_id,
        detail={"reason": reason},
    ) as act:
        actor.require("dna.reveal")
        specimen = get_specimen_for(
            session, actor=actor, public_id=specimen_public_id, permission="dna.reveal"
        )
        grant = RevealGrant(
            public_id=new_public_id(),
            specimen_id=specimen.id,
            requester_id=actor.user_id,
            reason=reason,
            status="pending",
            requested_at=now or utcnow(),
        )
        session.add(grant)
        session.flush()
        act.detail["grant"] = grant.public_id
    return grant


def _grant_for(session: Session, actor: Actor, grant_public_id: str) -> RevealGrant:
    grant = session.execute(
        select(RevealGrant).where(RevealGrant.public_id == grant_public_id)
    ).scalar_one_or_none()
    if grant is None or not in_scope(actor, grant.specimen):
        raise NotFound("grant not found")
    return grant


def decide_reveal_grant(
    session: Session,
    *,
    actor: Actor,
    grant_public_id: str,
    approve: bool,
    hours: int = GRANT_HOURS,
    now: datetime | None = None,
) -> RevealGrant:
    """A different supervisor approves (for ``hours``) or rejects a reveal request."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "dna.reveal_grant.approve" if approve else "dna.reveal_grant.reject",
        object_type="dna_reveal_grant",
        object_id=grant_public_id,
    ) as act:
        actor.require("grants.approve")
        actor.require("dna.reveal")
        grant = _grant_for(session, actor, grant_public_id)
        if grant.requester_id == actor.user_id:
            raise Forbidden("a request cannot be approved by the person who made it")
        if grant.status != "pending":
            raise Conflict(f"grant is {grant.status}, not pending")
        grant.status = "approved" if approve else "rejected"
        grant.approver_id = actor.user_id
        grant.decided_at = now
        if approve:
            grant.expires_at = now + timedelta(hours=max(1, min(hours, 24)))
        act.detail["specimen"] = grant.specimen.public_id
    return grant


def pending_reveal_grants(session: Session, *, actor: Actor) -> list[RevealGrant]:
    """Reveal requests in the supervisor's scope that someone else made."""
    actor.require("dna.reveal")
    rows = session.execute(
        select(RevealGrant)
        .join(Specimen, Specimen.id == RevealGrant.specimen_id)
        .join(Unit, Unit.id == Specimen.owner_unit_id)
        .where(scope_clause(actor), RevealGrant.status == "pending")
        .order_by(RevealGrant.id)
    ).scalars()
    return list(rows)


def grants_of(session: Session, *, actor: Actor, specimen: Specimen) -> list[RevealGrant]:
    """The actor's own reveal requests for a specimen, newest first."""
    return list(
        session.execute(
            select(RevealGrant)
            .where(
                RevealGrant.specimen_id == specimen.id,
                RevealGrant.requester_id == actor.user_id,
            )
            .order_by(RevealGrant.id.desc())
        ).scalars()
    )


def reveal_subject(
    session: Session,
    *,
    actor: Actor,
    specimen_public_id: str,
    reason: str,
    crypto: FieldCrypto | None = None,
    now: datetime | None = None,
) -> list[RevealedLink]:
    """Who is behind a specimen: ``dna.reveal``, an approved grant, a high-priority audit."""
    crypto = _crypto(crypto)
    reason = _check_reason(reason)
    with action(
        session,
        actor,
        "dna.reveal",
        object_type="dna_specimen",
        object_id=specimen_public_id,
        detail={"reason": reason},
        priority="high",
    ):
        actor.require("dna.reveal")
        specimen = get_specimen_for(
            session, actor=actor, public_id=specimen_public_id, permission="dna.reveal"
        )
        if active_reveal_grant(session, actor=actor, specimen=specimen, now=now) is None:
            raise Forbidden("revealing a specimen's subject needs an approved reveal grant")
        links = session.execute(
            select(SpecimenLink)
            .where(SpecimenLink.specimen_id == specimen.id)
            .order_by(SpecimenLink.id)
        ).scalars()
        revealed = [
            RevealedLink(
                specimen_id=specimen.public_id,
                subject_type=link.subject_type,
                subject_id=crypto.decrypt(
                    link.subject_ref,
                    subject_id=specimen.key_subject,
                    table="dna_specimen_link",
                    column="subject_ref",
                    row_id=link.public_id,
                ),
                relation=link.relation,
            )
            for link in links
            if link.subject_ref is not None
        ]
    return revealed


# -- withdrawal and retention (R-DNA-8) --------------------------------------------------------


def _expunge(session: Session, stage: idx.Staged, specimen: Specimen, now: datetime) -> None:
    """Everything of a specimen except its ID goes; matches naming it are marked withdrawn."""
    invalidate = lambda: setattr(stage.indexes, "loaded", False)  # noqa: E731 - rebuild
    stage.remove(specimen.public_id, invalidate)
    for couple in couples_of(session, specimen):
        if couple.status == "active":
            couple.status = "dissolved"
            stage.remove(couple.public_id, invalidate, couple=True)
    for match in session.execute(select(CandidateMatch).where(_matches_clause(specimen))).scalars():
        match.status = "withdrawn"
    _profile_row(session, specimen).genotypes = None
    for row in session.execute(select(Retest).where(Retest.specimen_id == specimen.id)).scalars():
        row.genotypes = None
    for link in session.execute(
        select(SpecimenLink).where(SpecimenLink.specimen_id == specimen.id)
    ).scalars():
        session.delete(link)
    specimen.status = "withdrawn"
    specimen.withdrawn_at = now
    session.flush()


def withdraw_consent(
    session: Session,
    *,
    actor: Actor,
    specimen_public_id: str,
    reason: str,
    crypto: FieldCrypto | None = None,
    now: datetime | None = None,
) -> Specimen:
    """A relative withdrew consent: crypto-shred the profile and take it out of the search."""
    crypto = _crypto(crypto)
    now = now or utcnow()
    reason = _check_reason(reason)
    with (
        idx.staged(session, crypto) as stage,
        action(
            session,
            actor,
            "dna.withdraw",
            object_type="dna_specimen",
            object_id=specimen_public_id,
            detail={"reason": reason},
            priority="high",
        ),
    ):
        actor.require("dna.import")
        specimen = get_specimen_for(
            session, actor=actor, public_id=specimen_public_id, permission="dna.import"
        )
        if specimen.side != "reference":
            raise Conflict("only a relative's profile, given with consent, can be withdrawn")
        if specimen.status != "active":
            raise Conflict("this profile is already withdrawn")
        _expunge(session, stage, specimen, now)
        # Shred last: if the database write fails the key survives and nothing is half-done.
        crypto.keystore.shred(specimen.key_subject)
    return specimen


def set_retention(session: Session, *, specimen_public_id: str, until: datetime | None) -> None:
    """Inside the caller's action (case resolved): shred this relative's profile at ``until``."""
    if session.info.get(ACTION_KEY) is None:
        raise RuntimeError("set_retention must run inside an action")
    specimen = session.execute(
        select(Specimen).where(Specimen.public_id == specimen_public_id)
    ).scalar_one_or_none()
    if specimen is None:
        raise NotFound("specimen not found")
    if specimen.side != "reference":
        raise Conflict("retention periods apply to relatives' profiles")
    specimen.retain_until = until


def expire_retention(
    session: Session, *, actor: Actor, now: datetime, crypto: FieldCrypto | None = None
) -> int:
    """Shred every relative's profile whose retention period ended (one action each).

    A specimen under a standing legal hold (``fanguai.retention``) is kept until it is released.
    """
    from fanguai.retention.service import held_ids

    crypto = _crypto(crypto)
    due = list(
        session.execute(
            select(Specimen.public_id).where(
                Specimen.status == "active",
                Specimen.side == "reference",
                Specimen.retain_until.is_not(None),
                Specimen.retain_until <= now,
            )
        ).scalars()
    )
    held = held_ids(session, "dna_specimen", due)
    shredded = 0
    for public_id in (p for p in due if p not in held):
        try:
            with (
                idx.staged(session, crypto) as stage,
                action(
                    session,
                    actor,
                    "dna.retention_expired",
                    object_type="dna_specimen",
                    object_id=public_id,
                    priority="high",
                ),
            ):
                specimen = session.execute(
                    select(Specimen).where(Specimen.public_id == public_id)
                ).scalar_one()
                # Checked again inside the transaction: a hold placed, a withdrawal or a new
                # retention date since the list was read wins (the refusal is audited).
                if (
                    specimen.status != "active"
                    or specimen.retain_until is None
                    or specimen.retain_until > now
                    or held_ids(session, "dna_specimen", [public_id])
                ):
                    raise Conflict("retention no longer due (held, withdrawn or extended)")
                _expunge(session, stage, specimen, now)
                crypto.keystore.shred(specimen.key_subject)
        except Conflict:
            continue
        shredded += 1
    return shredded


# -- statistics (R-DNA-7: de-identified counts only) ---------------------------------------------


def counts(session: Session, *, actor: Actor) -> dict[str, dict[str, int]]:
    """Specimens in scope by kind and status, and matches by class (counts only)."""
    actor.require("dna.read")
    by_kind = session.execute(
        select(Specimen.kind, Specimen.status, func.count())
        .join(Specimen.owner_unit)
        .where(scope_clause(actor))
        .group_by(Specimen.kind, Specimen.status)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for kind, status, n in by_kind:
        out.setdefault(kind, {})[status] = n
    return out
