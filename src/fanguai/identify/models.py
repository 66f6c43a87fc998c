"""Tables of the identification module (身份查找与团聚).

Identity (claimed name, sex, age range, claimed birth date) lives in ``person`` (kind
``unidentified_child`` or ``victim`` for a found person, ``missing_child`` for a long-missing
child). Everything else that describes a person is field-encrypted here under that person's
data key, so erasing the person (crypto-shredding) makes these columns unreadable too.
DNA profiles and the specimen-to-person links stay in the DNA store (R-DNA-1): these tables
hold specimen IDs only where a candidate names the specimens a search returned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit
from fanguai.people.models import Person

SOURCES = (
    "census",
    "household_registration",
    "school_enrolment",
    "out_of_hospital_birth",
    "rescue",
    "shelter_intake",
    "wandering_minor",
)
FOUND_STATUSES = ("registered", "sampled", "identified", "reunited", "closed")
MISSING_STATUSES = ("open", "found", "closed")
LEVELS = ("lead", "dna_supported", "confirmed", "excluded")
SIDE_TYPES = ("missing_case", "missing_record", "specimen")
EVIDENCE_KINDS = ("dna", "dna_retest", "records", "face")
DAY_KINDS = ("holiday", "workday")


def _enc(purpose: str, retention: str = "case") -> dict[str, str]:
    return {
        "classification": "sensitive",
        "encryption": "field",
        "purpose": purpose,
        "retention": retention,
    }


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class FoundPerson(PublicIdMixin, Base):
    """A found person of unknown or unconfirmed identity (来历不明/身份不明人员)."""

    __tablename__ = "found_person"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # Where the person was found (county, GB/T 2260): the dashboard counts by it.
    county_code: Mapped[str] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="registered", index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    found_by: Mapped[str | None] = mapped_column(Text, info=_enc("who found the person"))
    found_place: Mapped[str | None] = mapped_column(Text, info=_enc("where the person was found"))
    description: Mapped[str | None] = mapped_column(Text, info=_enc("appearance, circumstances"))
    documents: Mapped[str | None] = mapped_column(Text, info=_enc("documents the person carried"))
    # Claimed identity beyond person.name: {"father_name", "mother_name", "home_place"} (JSON).
    claims: Mapped[str | None] = mapped_column(Text, info=_enc("claimed family and origin"))
    shelter_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_notice_ref: Mapped[str | None] = mapped_column(String(200))
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sample_ref: Mapped[str | None] = mapped_column(String(64))
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reunited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(200))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("found_import.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The Beijing month of registration ("YYYY-MM"): the dashboard groups by county and month
    # on an index, without computing a date per row.
    registered_month: Mapped[str] = mapped_column(String(7))
    identified_month: Mapped[str | None] = mapped_column(String(7))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    person: Mapped[Person] = relationship(lazy="joined")
    owner_unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint(_in("status", FOUND_STATUSES), name="status"),
        Index("ix_found_person_county_month", "county_code", "registered_month", "created_at"),
        Index("ix_found_person_identified", "identified_month", "county_code"),
    )


class FoundImport(PublicIdMixin, Base):
    """One CSV import of a screening campaign (摸排): all rows or none."""

    __tablename__ = "found_import"

    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the file: the same file is not imported twice.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class FoundPhoto(PublicIdMixin, Base):
    """A photo of a found person, re-encoded (no EXIF or GPS) and encrypted."""

    __tablename__ = "found_photo"

    found_person_id: Mapped[int] = mapped_column(ForeignKey("found_person.id"), index=True)
    content: Mapped[str] = mapped_column(Text, info=_enc("recognise the person (photo)"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class MissingRecord(PublicIdMixin, Base):
    """A long-missing child registered by the parents years later (寻亲登记, cold case).

    Open missing-child cases with alerts live in ``missing_case`` (fanguai.alerts); a family
    looking for a child lost long ago registers here, with their DNA specimens, without an alert.
    """

    __tablename__ = "missing_record"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)  # where the child was lost
    lost_on: Mapped[str | None] = mapped_column(String(10))  # YYYY, YYYY-MM or YYYY-MM-DD
    lost_place: Mapped[str | None] = mapped_column(Text, info=_enc("where the child was lost"))
    father_name: Mapped[str | None] = mapped_column(Text, info=_enc("match the family"))
    mother_name: Mapped[str | None] = mapped_column(Text, info=_enc("match the family"))
    features: Mapped[str | None] = mapped_column(Text, info=_enc("recognise the child"))
    contact: Mapped[str | None] = mapped_column(Text, info=_enc("contact the family"))
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    found_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    person: Mapped[Person] = relationship(lazy="joined")
    owner_unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint(_in("status", MISSING_STATUSES), name="status"),)


class Candidate(PublicIdMixin, Base):
    """One possible family of a found person, with the evidence for it (候选).

    The "side" is what the found person may belong to: an open missing-child case, a long-
    missing record, or (when the parents' specimens are linked to neither) the specimens
    themselves. ``side_division`` is the division of the side's owner unit: lists show a
    candidate only to those whose jurisdiction covers it.
    """

    __tablename__ = "identify_candidate"

    found_person_id: Mapped[int] = mapped_column(ForeignKey("found_person.id"), index=True)
    side_type: Mapped[str] = mapped_column(String(16))
    side_id: Mapped[str] = mapped_column(String(80))
    side_division: Mapped[str | None] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(16), default="lead", index=True)
    # Ordering within the list: confirmed, then DNA (log10 LR), then records (match weight).
    rank_score: Mapped[float] = mapped_column(Float, default=0.0)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    retest: Mapped[str | None] = mapped_column(String(12))  # agrees | disagrees | inconclusive
    decision: Mapped[str | None] = mapped_column(String(10))  # confirmed | rejected
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    found_person: Mapped[FoundPerson] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="candidate", order_by="Evidence.id", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("found_person_id", "side_type", "side_id"),
        CheckConstraint(_in("side_type", SIDE_TYPES), name="side_type"),
        CheckConstraint(_in("level", LEVELS), name="level"),
    )


class Evidence(Base):
    """What one kind of comparison says about a candidate; a new run replaces the old row."""

    __tablename__ = "identify_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("identify_candidate.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # log10 LR for DNA, the match weight (log2 odds) for records.
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    engine_version: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    candidate: Mapped[Candidate] = relationship(back_populates="evidence")

    __table_args__ = (
        UniqueConstraint("candidate_id", "kind"),
        CheckConstraint(_in("kind", EVIDENCE_KINDS), name="kind"),
    )


class Reunification(PublicIdMixin, Base):
    """The return of an identified person to the family (团聚)."""

    __tablename__ = "reunification"

    found_person_id: Mapped[int] = mapped_column(ForeignKey("found_person.id"), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("identify_candidate.id"))
    reunited_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(Text, info=_enc("where the family met the child"))
    family_contacted: Mapped[str] = mapped_column(Text, info=_enc("who in the family was told"))
    child_wishes: Mapped[str | None] = mapped_column(Text, info=_enc("the child's own wishes"))
    victim_file_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class CalendarDay(Base):
    """A public holiday or a make-up working day entered by an administrator (调休)."""

    __tablename__ = "working_calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint(_in("kind", DAY_KINDS), name="kind"),)
