"""Tables of the victim assistance module: the special file (专门档案) and what hangs off it.

Every sensitive value (the victim's name and birth date, the exploitation history, medical and
counselling details, where a child goes to school or returns to) is a field token encrypted
under the file's own key-store subject; shredding that subject erases all of it at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit, User

FILE_STATUSES = ("open", "returned", "closed")
REFERRAL_STATUSES = ("pending", "accepted", "rejected", "done")


def _enc(purpose: str) -> dict[str, str]:
    return {
        "classification": "sensitive",
        "encryption": "field",
        "purpose": purpose,
        "retention": "case",
    }


class VictimFile(PublicIdMixin, Base):
    """A rescued victim's special file (被拐卖受害人专门档案), from reception to follow-up."""

    __tablename__ = "victim_file"

    file_no: Mapped[str] = mapped_column(String(24), unique=True)
    # The key-store subject: shredding it makes every encrypted value of the file unreadable.
    subject_id: Mapped[str] = mapped_column(String(64), unique=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # Where the file was opened (the owner unit's division) and the Beijing month it was opened:
    # the dashboard counts files by these two without touching anything personal.
    county_code: Mapped[str] = mapped_column(String(6))
    opened_month: Mapped[str] = mapped_column(String(7))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sex: Mapped[str] = mapped_column(String(8), default="unknown")  # male | female | unknown
    # Age in completed years on the day of reception: exact when the birth date is known, an
    # estimated range otherwise (unknown is a value). The age today is computed when read.
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    nationality: Mapped[str] = mapped_column(String(2), default="CN")  # ISO 3166-1 alpha-2
    origin_county: Mapped[str | None] = mapped_column(String(6))  # home county, where known
    # Links to the people and identification modules, as public ids (no foreign keys: those
    # records may be erased on their own schedule).
    person_public_id: Mapped[str | None] = mapped_column(String(36))
    found_person_public_id: Mapped[str | None] = mapped_column(String(36), index=True)
    wants_work: Mapped[bool | None] = mapped_column(Boolean)
    identified_on: Mapped[date | None] = mapped_column(Date)
    hukou_applied_on: Mapped[date | None] = mapped_column(Date)
    hukou_registered_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(20))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    name: Mapped[str | None] = mapped_column(Text, info=_enc("identify the victim"))
    birth_date: Mapped[str | None] = mapped_column(Text, info=_enc("age, minor status"))
    notes: Mapped[str | None] = mapped_column(Text, info=_enc("reception narrative"))
    exploitation: Mapped[str | None] = mapped_column(
        Text, info=_enc("exploitation history (IOM case data standard)")
    )

    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id], lazy="joined")
    caseworker: Mapped[User | None] = relationship(foreign_keys=[caseworker_id])

    __table_args__ = (
        CheckConstraint("status IN ('open','returned','closed')", name="status"),
        Index("ix_victim_file_county_month", "county_code", "opened_month", "opened_at"),
    )


class VictimAssessment(PublicIdMixin, Base):
    """A needs assessment (需求评估) of the victim."""

    __tablename__ = "victim_assessment"

    file_id: Mapped[int] = mapped_column(ForeignKey("victim_file.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[str] = mapped_column(String(8))  # urgent | high | normal
    notes: Mapped[str | None] = mapped_column(Text, info=_enc("needs assessment notes"))
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VictimConsent(PublicIdMixin, Base):
    """The victim's (or guardian's) consent to share the file with a department line."""

    __tablename__ = "victim_consent"

    file_id: Mapped[int] = mapped_column(ForeignKey("victim_file.id"), index=True)
    scope: Mapped[str] = mapped_column(String(20))  # a department line, or "all"
    given_by: Mapped[str] = mapped_column(String(24))  # victim | guardian | legal_representative
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DesignatedHospital(PublicIdMixin, Base):
    """A hospital designated to treat victims in a county (二(三)1(6)): at least one per county."""

    __tablename__ = "victim_hospital"

    county_code: Mapped[str] = mapped_column(ForeignKey("division.code"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # general | psychiatric
    disability_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    designated_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("county_code", "name"),)


class VictimService(PublicIdMixin, Base):
    """One service given to the victim: dates, provider and outcome, kind-specific details."""

    __tablename__ = "victim_service"

    file_id: Mapped[int] = mapped_column(ForeignKey("victim_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("victim_hospital.id"))
    followup_month: Mapped[int | None] = mapped_column(Integer)
    # Provider, outcome and the kind's own fields (school, diagnosis, costs, ...) as JSON.
    details: Mapped[str | None] = mapped_column(Text, info=_enc("the service given"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    file: Mapped[VictimFile] = relationship()
    hospital: Mapped[DesignatedHospital | None] = relationship()
    recorded_unit: Mapped[Unit | None] = relationship(foreign_keys=[recorded_unit_id])


class VictimReferral(PublicIdMixin, Base):
    """A referral (转介) of the victim to another unit, with consent or a documented override."""

    __tablename__ = "victim_referral"

    file_id: Mapped[int] = mapped_column(ForeignKey("victim_file.id"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # the service asked for
    status: Mapped[str] = mapped_column(String(10), default="pending")
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("victim_consent.id"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(String(200))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    file: Mapped[VictimFile] = relationship()
    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id], lazy="joined")
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id], lazy="joined")
    consent: Mapped[VictimConsent | None] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('pending','accepted','rejected','done')", name="status"),
    )


class VictimRuleFire(Base):
    """That a rule has fired for a file: the unique pair makes each rule fire at most once."""

    __tablename__ = "victim_rule_fire"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("victim_file.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("file_id", "rule"),)
