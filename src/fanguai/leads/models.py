"""Tables of the leads module.

A lead (线索) keeps no network address, user agent, cookie or request ID, and a public lead keeps
its arrival time to the hour only (SECURITY.md decision 4, H4). What abuse control needs lives in
tables of its own that never name a lead: rate buckets keyed by rotating keyed hashes, spent
proof-of-work challenges. Narrative and identity fields are encrypted under the lead's own data
key, so destroying that key erases the lead (crypto-shredding).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
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


def _enc(purpose: str) -> dict[str, str]:
    return {
        "classification": "sensitive",
        "encryption": "field",
        "purpose": purpose,
        "retention": "case",
    }


class Institution(PublicIdMixin, Base):
    """A registered mandatory-reporting institution (强制报告单位): school, hospital, hotel."""

    __tablename__ = "lead_institution"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    # The unit the institution is registered under (its supervising department).
    supervising_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    supervising_unit: Mapped[Unit] = relationship(lazy="joined")


class InstitutionMember(Base):
    """A staff account (role mandatory_reporter) that reports for an institution."""

    __tablename__ = "lead_institution_member"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("lead_institution.id"), index=True)

    institution: Mapped[Institution] = relationship(lazy="joined")


class Lead(PublicIdMixin, Base):
    """A lead (线索): from the public, a hotline call, a mandatory report or an integration."""

    __tablename__ = "lead"

    # What the reporter holds to follow the lead: a code and a passphrase (only its hash here).
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    passphrase_salt: Mapped[str] = mapped_column(String(32))
    passphrase_hash: Mapped[str] = mapped_column(
        String(64),
        info={
            "classification": "secret",
            "encryption": "hash",
            "purpose": "let the reporter follow the lead",
            "retention": "case",
        },
    )
    # The key-store subject of this lead's encrypted fields.
    subject_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(12))
    lead_type: Mapped[str] = mapped_column(String(24), index=True)
    urgency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), index=True)
    quarantine_reason: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(16))
    case_public_id: Mapped[str | None] = mapped_column(String(36))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    # "YYYY-MM" in Beijing time: the month the lead arrived (for the dashboard's aggregation).
    received_month: Mapped[str] = mapped_column(String(7))
    # Arrival time to the hour; the exact time only for staff channels (hotline, portal, API).
    received_hour: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("lead_institution.id"))
    intake_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reporter_kind: Mapped[str] = mapped_column(String(12))  # anonymous | named | institution
    reporter_name: Mapped[str | None] = mapped_column(Text, info=_enc("call the reporter back"))
    reporter_phone: Mapped[str | None] = mapped_column(Text, info=_enc("call the reporter back"))
    description: Mapped[str] = mapped_column(Text, info=_enc("what the reporter saw"))
    child: Mapped[str | None] = mapped_column(Text, info=_enc("describe the child (JSON)"))
    place_text: Mapped[str | None] = mapped_column(Text, info=_enc("where it happened"))
    point: Mapped[str | None] = mapped_column(Text, info=_enc("where it happened (lat,lng)"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # Minutes from arrival to the first acknowledgement, and whether it met its deadline.
    ack_minutes: Mapped[int | None] = mapped_column(Integer)
    ack_in_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    outcome_note: Mapped[str | None] = mapped_column(Text, info=_enc("how the lead was handled"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id], lazy="joined")
    institution: Mapped[Institution | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_lead_county_month", "county_code", "received_month"),
        CheckConstraint(
            "status IN ('quarantined','received','acknowledged','closed')", name="status"
        ),
        CheckConstraint("urgency IN ('urgent','normal')", name="urgency"),
        CheckConstraint("channel IN ('public','hotline','portal','api')", name="channel"),
    )


class LeadEvent(Base):
    """One step in a lead's timeline: received, routed, acknowledged, transferred, outcome..."""

    __tablename__ = "lead_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    note: Mapped[str | None] = mapped_column(Text, info=_enc("reason given by staff"))

    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit | None] = relationship(foreign_keys=[to_unit_id])


class LeadAttachment(PublicIdMixin, Base):
    """A photo sent with a lead: re-encoded, metadata stripped, stored encrypted (base64)."""

    __tablename__ = "lead_attachment"

    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text, info=_enc("evidence sent with the lead"))


class LeadIdempotency(Base):
    """A submission's idempotency key (hashed) and its answer, kept for IDEMPOTENCY_TTL_HOURS."""

    __tablename__ = "lead_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(48))  # "public" or "user:<public id>"
    key_hash: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    status_code: Mapped[int] = mapped_column(Integer)
    # The answer (tracking code and passphrase), encrypted under the lead's key.
    response: Mapped[str] = mapped_column(Text, info=_enc("repeat the answer to a retried request"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (UniqueConstraint("scope", "key_hash"),)


class RateBucket(Base):
    """Requests from one (hashed) address or network in one window; names no lead."""

    __tablename__ = "lead_rate_bucket"

    key: Mapped[str] = mapped_column(
        String(64),
        primary_key=True,
        info={
            "classification": "personal",
            "encryption": "hash",
            "purpose": "rate-limit public submissions",
            "retention": "throttle",
        },
    )
    window_end: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SpentChallenge(Base):
    """A proof-of-work challenge already used (replays are refused until it expires)."""

    __tablename__ = "lead_pow_spent"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
