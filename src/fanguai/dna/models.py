"""Tables of the DNA store module (R-DNA-1..8).

The specimen and profile tables hold no identifier of anybody: a specimen is a random ID, a
kind, the kit, the lab and the lab's own sample number (checked on import not to be a name,
an ID number or a phone number). The profile is one field-encrypted token under the
specimen's own data key. Which person or case a specimen belongs to lives apart, in
``dna_specimen_link``, encrypted too and read only through an audited reveal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, orm
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit

#: Kinds of specimen, by the side of the search they belong to (R-DNA-3).
REFERENCE_KINDS = ("father", "mother", "relative")
UNKNOWN_KINDS = ("unknown_child", "rescued_victim", "unidentified")
KINDS = REFERENCE_KINDS + UNKNOWN_KINDS
#: Kinds that the parent–child index holds; ``relative`` specimens are searched by their
#: ``relation`` to the missing child (pairwise kinship).
PARENT_KINDS = ("father", "mother")
SIDES = ("reference", "unknown")
#: A relative's relation to the missing child (the engine's pairwise relationships).
RELATIONS = ("full-siblings", "half-siblings", "grandparent", "avuncular", "first-cousins")
RELATIONSHIPS = ("parent-child", "parents", *RELATIONS)
SUBJECT_TYPES = ("person", "missing_case", "found_person")


def side_of(kind: str) -> str:
    """``reference`` for parents and relatives of missing children, else ``unknown``."""
    return "reference" if kind in REFERENCE_KINDS else "unknown"


def _dna(purpose: str) -> dict[str, str]:
    return {
        "classification": "sensitive",
        "encryption": "field",
        "purpose": purpose,
        "retention": "case",
    }


class DnaImport(PublicIdMixin, Base):
    """One lab result file imported as a whole (or refused as a whole)."""

    __tablename__ = "dna_import"

    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    layout: Mapped[str] = mapped_column(String(8))  # long | wide | single
    kit: Mapped[str] = mapped_column(String(60))
    lab: Mapped[str] = mapped_column(String(80))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    specimens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Specimen(PublicIdMixin, Base):
    """A DNA specimen: a random ID and what the lab says about it, nothing about a person."""

    __tablename__ = "dna_specimen"

    kind: Mapped[str] = mapped_column(String(16), index=True)
    side: Mapped[str] = mapped_column(String(10), index=True)  # reference | unknown
    kit: Mapped[str] = mapped_column(String(60))
    lab: Mapped[str] = mapped_column(String(80))
    # The lab's own sample number, so the lab can find its tube for the confirming re-test.
    lab_ref: Mapped[str] = mapped_column(String(40))
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("dna_import.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # R-DNA-8: a relative's profile is shredded at this time (set when the case is resolved).
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # A ``relative``'s relationship to the missing child (one of ``RELATIONS``); else NULL.
    relation: Mapped[str | None] = mapped_column(String(16))

    owner_unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("lab", "lab_ref"),)

    @property
    def key_subject(self) -> str:
        """The key-store subject whose data key encrypts this specimen's profile."""
        return f"dna-specimen:{self.public_id}"


class DnaProfile(Base):
    """The STR profile of a specimen: allele calls per locus, encrypted (R-DNA-2, R-DNA-6)."""

    __tablename__ = "dna_profile"

    specimen_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), primary_key=True)
    # JSON {locus: "a/b"} sealed under the specimen's data key; NULL once shredded.
    genotypes: Mapped[str | None] = mapped_column(
        Text, info=_dna("kinship matching of missing children and their families")
    )
    locus_count: Mapped[int] = mapped_column(Integer)


class Couple(PublicIdMixin, Base):
    """Two parents registered together: searched as a pair (trio evidence, R-DNA-3)."""

    __tablename__ = "dna_couple"

    father_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    mother_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | dissolved
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    father: Mapped[Specimen] = relationship(foreign_keys=[father_id], lazy="joined")
    mother: Mapped[Specimen] = relationship(foreign_keys=[mother_id], lazy="joined")


class SpecimenLink(PublicIdMixin, Base):
    """Whose specimen this is: the restricted link to a person or case (R-DNA-1, R-DNA-4).

    The subject's public ID is encrypted under the specimen's data key (shredded with the
    profile); a blind index lets a module find the specimens of a subject it already knows.
    """

    __tablename__ = "dna_specimen_link"

    specimen_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # person | missing_case | found_person
    subject_ref: Mapped[str | None] = mapped_column(
        Text, info=_dna("link a specimen to the person or case it was taken for")
    )
    subject_index: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info={
            "classification": "sensitive",
            "encryption": "blind_index",
            "purpose": "find the specimens of a known person or case",
            "retention": "case",
        },
    )
    relation: Mapped[str] = mapped_column(String(16))  # father | mother | self | sibling | …
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    specimen: Mapped[Specimen] = relationship(lazy="joined")


class CandidateMatch(PublicIdMixin, Base):
    """A search result: a lead naming specimens, never people (R-DNA-4).

    ``child`` is the unknown-side specimen; the reference side is one ``parent``
    (``parent-child``; for a pairwise relationship such as ``full-siblings`` the relative, in
    the same column) or a ``couple`` (``parents``). ``query`` is the specimen whose arrival
    ran the search, and ``rank`` its place among that search's hits of this relationship.
    """

    __tablename__ = "dna_candidate_match"

    query_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("dna_couple.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(16))  # parent-child | parents | RELATIONS
    lr: Mapped[float] = mapped_column(Float)
    log10_lr: Mapped[float] = mapped_column(Float)
    inconsistent_loci: Mapped[int] = mapped_column(Integer)
    loci_compared: Mapped[int] = mapped_column(Integer)
    expected_false_hits: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    match_class: Mapped[str] = mapped_column(String(12))
    engine_version: Mapped[str] = mapped_column(String(20))
    frequency_table: Mapped[str] = mapped_column(String(60))
    settings: Mapped[str] = mapped_column(Text)  # KinshipSettings as JSON
    indexed: Mapped[int] = mapped_column(Integer)  # profiles or couples the search covered
    # open | confirmed (re-test agrees) | disputed (re-test differs) | withdrawn (shredded)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # ``relationship`` is a column here, hence the qualified name.
    query: Mapped[Specimen] = orm.relationship(foreign_keys=[query_id], lazy="joined")
    child: Mapped[Specimen] = orm.relationship(foreign_keys=[child_id], lazy="joined")
    parent: Mapped[Specimen | None] = orm.relationship(foreign_keys=[parent_id], lazy="joined")
    couple: Mapped[Couple | None] = orm.relationship(lazy="joined")

    @property
    def candidate(self) -> Specimen | Couple:
        """What the query's search found: the child for a parent's search, else the parent
        or the couple."""
        if self.query_id != self.child_id:
            return self.child
        return self.couple if self.couple is not None else self.parent  # type: ignore[return-value]


class Retest(PublicIdMixin, Base):
    """A fresh sample typed to confirm a candidate match (R-DNA-4: the lab re-tests)."""

    __tablename__ = "dna_retest"

    match_id: Mapped[int] = mapped_column(ForeignKey("dna_candidate_match.id"), index=True)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    genotypes: Mapped[str | None] = mapped_column(
        Text, info=_dna("confirm a candidate match with a fresh sample")
    )
    lr: Mapped[float] = mapped_column(Float)
    log10_lr: Mapped[float | None] = mapped_column(Float)  # None when the LR is 0
    inconsistent_loci: Mapped[int] = mapped_column(Integer)
    match_class: Mapped[str] = mapped_column(String(12))
    agrees: Mapped[bool] = mapped_column(Boolean)
    # Loci where the fresh sample and the stored profile of the same specimen differ.
    discordant_loci: Mapped[int] = mapped_column(Integer)
    engine_version: Mapped[str] = mapped_column(String(20))
    settings: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RevealGrant(PublicIdMixin, Base):
    """Time-limited permission to reveal who is behind a specimen (B9), approved by another."""

    __tablename__ = "dna_reveal_grant"

    specimen_id: Mapped[int] = mapped_column(ForeignKey("dna_specimen.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | rejected
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    specimen: Mapped[Specimen] = relationship(lazy="joined")


class IndexChange(Base):
    """What the in-memory search indexes must apply: other processes replay these rows."""

    __tablename__ = "dna_index_change"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    op: Mapped[str] = mapped_column(String(16))  # add | remove | add_couple | remove_couple
    key: Mapped[str] = mapped_column(String(36))  # specimen or couple public ID
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccessAlert(Base):
    """R-DNA-5: one user's DNA reads went over a threshold in one window (raised once)."""

    __tablename__ = "dna_access_alert"
    __table_args__ = (UniqueConstraint("user_id", "window", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    window: Mapped[str] = mapped_column(String(8))  # hour | day
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    reads: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
