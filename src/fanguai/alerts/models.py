"""Tables of the missing-child cases and alerts module.

A missing-child case (走失/被拐儿童案件) has a case leader (专案组长) and a team, three tracked
duties (investigation, rescue, family: 一长三包), photos and a timeline. Its alert (预警) goes
out in stages: the first ring, each widening, and the withdrawal ("found"). Each stage's
recipients are planned into batches per endpoint; a delivery row per (stage, subscriber) is
unique, which is what makes "each stage once per recipient" hold across restarts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit, User

CATEGORIES = ("suspected_abduction", "lost", "runaway", "other")
CASE_STATUSES = ("open", "closed")
OUTCOMES = ("found_alive", "found_dead", "other")
SEXES = ("male", "female", "unknown")
STAGE_KINDS = ("publish", "widen", "withdraw")
SUBSCRIBER_KINDS = ("police_unit", "transport_hub", "volunteer", "app_user", "partner")
HUB_TYPES = ("railway", "bus", "airport", "port", "toll")
CHANNELS = ("internal", "webhook", "email", "sms")
ENDPOINT_KINDS = ("webhook", "smtp", "sms_gateway")
# The endpoint kind each delivery channel goes through (internal: the platform's outbox).
CHANNEL_ENDPOINT = {"webhook": "webhook", "email": "smtp", "sms": "sms_gateway"}
BATCH_STATUSES = ("pending", "sending", "sent", "retry", "failed", "cancelled")


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


def _enc(purpose: str) -> dict[str, str]:
    # A volunteer's contact data: personal, kept while the subscription (an account) lasts.
    return {
        "classification": "personal",
        "encryption": "field",
        "purpose": purpose,
        "retention": "account",
    }


class MissingCase(PublicIdMixin, Base):
    """A missing-child case (儿童失踪案件): from report to closing with the leader's sign-off."""

    __tablename__ = "missing_case"

    case_no: Mapped[str] = mapped_column(String(24), unique=True)
    # The child (kind "missing_child") and the guardian (kind "parent") in the people module:
    # their identities are field-encrypted there, never copied here.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    guardian_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    lead_public_id: Mapped[str | None] = mapped_column(String(36), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    # What a finder needs and may read: no name in clear, no family data.
    child_sex: Mapped[str] = mapped_column(String(8), default="unknown")
    child_age: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    last_seen_place: Mapped[str | None] = mapped_column(Text)
    last_seen_lat: Mapped[float | None] = mapped_column(Float)
    last_seen_lng: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The police number a finder calls (a duty desk, never the family's phone).
    contact_phone: Mapped[str] = mapped_column(String(32), default="110")
    leader_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # "YYYY-MM" of the opening in Beijing time: the dashboard groups by it (with county_code).
    opened_month: Mapped[str] = mapped_column(String(7))
    opened_by: Mapped[str] = mapped_column(String(120))
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    owner_unit: Mapped[Unit] = relationship(lazy="joined")
    leader: Mapped[User] = relationship(foreign_keys=[leader_id], lazy="joined")

    __table_args__ = (
        CheckConstraint(_check("category", CATEGORIES), name="category"),
        CheckConstraint(_check("status", CASE_STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_check('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL AND signed_off_by_id IS NOT NULL)",
            name="closed_signed",
        ),
        Index("ix_missing_case_county_month", "county_code", "opened_month"),
    )


class CaseCounter(Base):
    """The last case number handed out per county and year (numbers never repeat)."""

    __tablename__ = "missing_case_counter"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CaseMember(Base):
    """A member of the case team (专案组); the leader is one of them."""

    __tablename__ = "missing_case_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("missing_case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    role: Mapped[str] = mapped_column(String(8))  # leader | member
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("case_id", "user_id"),
        CheckConstraint("role IN ('leader','member')", name="role"),
    )


class CaseEvent(Base):
    """One line of the case timeline."""

    __tablename__ = "missing_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("missing_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_name: Mapped[str] = mapped_column(String(120))


class CasePhoto(PublicIdMixin, Base):
    """A photo of the child, re-encoded on upload (no EXIF, no GPS) and field-encrypted under
    the child's data key (erasing the child shreds the photo too)."""

    __tablename__ = "missing_case_photo"

    case_id: Mapped[int] = mapped_column(ForeignKey("missing_case.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(20))
    # The JPEG, base64, as an ``fg1:`` token (see fanguai.alerts.photos.store/load).
    content: Mapped[str | None] = mapped_column(
        Text,
        info={
            "classification": "sensitive",
            "encryption": "field",
            "purpose": "recognise the missing child (photo)",
            "retention": "case",
        },
    )
    # Photos stored before 0016 in clear: encrypted into ``content`` and emptied by
    # ``fanguai alerts encrypt-photos`` (also the worker job ``alerts.photos``).
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(PublicIdMixin, Base):
    """The alert of a case: published once, widened with time, withdrawn when found."""

    __tablename__ = "alert"

    case_id: Mapped[int] = mapped_column(ForeignKey("missing_case.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    # Rings are measured from the disappearance, not from publication.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    radius_km: Mapped[float] = mapped_column(Float)
    # The public content (what a finder needs), fixed at publication.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[MissingCase] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("status IN ('active','withdrawn')", name="status"),)


class AlertStage(Base):
    """One release of an alert: the first ring, a widening (an annulus) or the withdrawal."""

    __tablename__ = "alert_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    inner_km: Mapped[float] = mapped_column(Float, default=0.0)
    radius_km: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # planning → planned (every recipient has its delivery row) → cancelled (withdrawn first).
    status: Mapped[str] = mapped_column(String(10), default="planning", index=True)
    # Planning goes in chunks of ascending subscriber id; this is the last id planned.
    planned_upto: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    leaves_jiangsu: Mapped[bool] = mapped_column(Boolean, default=False)

    alert: Mapped[Alert] = relationship()

    __table_args__ = (
        UniqueConstraint("alert_id", "seq"),
        CheckConstraint(_check("kind", STAGE_KINDS), name="kind"),
        CheckConstraint("status IN ('planning','planned','cancelled')", name="status"),
    )


class AlertEndpoint(PublicIdMixin, Base):
    """Where deliveries go: a partner's webhook, an SMTP relay or an SMS gateway."""

    __tablename__ = "alert_endpoint"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    # webhook / SMS gateway: an http(s) URL; SMTP: smtp://host:port
    url: Mapped[str] = mapped_column(String(300))
    # HMAC key (webhook) or API key (SMS gateway), field-encrypted.
    secret: Mapped[str | None] = mapped_column(
        Text, info={"classification": "secret", "encryption": "field"}
    )
    sender: Mapped[str | None] = mapped_column(String(120))  # SMTP "From"
    batch_size: Mapped[int] = mapped_column(Integer, default=500)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint(_check("kind", ENDPOINT_KINDS), name="kind"),)


class AlertSubscriber(PublicIdMixin, Base):
    """Who receives alerts near them: police units, transport hubs, volunteers, app users,
    partner platforms (these have no point and receive every stage)."""

    __tablename__ = "alert_subscriber"

    kind: Mapped[str] = mapped_column(String(14))
    hub_type: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str] = mapped_column(String(10))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("alert_endpoint.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # A volunteer's phone or e-mail: personal data, field-encrypted under the subscriber.
    address: Mapped[str | None] = mapped_column(Text, info=_enc("deliver alerts"))
    address_hint: Mapped[str | None] = mapped_column(String(40))
    # The partner's own reference for an app user (a push token), never a phone number.
    external_ref: Mapped[str | None] = mapped_column(String(120))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    county_code: Mapped[str | None] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when the subscriber withdrew consent (opt-out link, app token withdrawal): the
    # address is gone, the row stays only so that a repeated opt-out gives the same answer.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When staff switched the subscriber off: a volunteer's address or an app user's push
    # token is kept for ``FANGUAI_ALERTS_INACTIVE_RETENTION_MONTHS`` after it (reactivation),
    # then erased by the job ``alerts.retention``, which sets ``erased_at``.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on every change: the spatial index reloads what changed since it was built.
    version: Mapped[int] = mapped_column(Integer, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    endpoint: Mapped[AlertEndpoint | None] = relationship()

    __table_args__ = (
        CheckConstraint(_check("kind", SUBSCRIBER_KINDS), name="kind"),
        CheckConstraint(_check("channel", CHANNELS), name="channel"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="point"),
    )


class AlertBatch(PublicIdMixin, Base):
    """Deliveries of one stage to one endpoint, sent together (one request, one SMTP session).

    The public id is the idempotency key receivers see: a batch resent after a crash carries
    the same key and the same delivery keys."""

    __tablename__ = "alert_batch"

    stage_id: Mapped[int] = mapped_column(ForeignKey("alert_stage.id"), index=True)
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("alert_endpoint.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    size: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    stage: Mapped[AlertStage] = relationship()

    __table_args__ = (
        CheckConstraint(_check("status", BATCH_STATUSES), name="status"),
        Index("ix_alert_batch_due", "status", "next_attempt_at"),
    )


class AlertDelivery(Base):
    """One stage to one subscriber: at most one row, whatever crashes and restarts happen."""

    __tablename__ = "alert_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("alert_stage.id"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("alert_subscriber.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("alert_batch.id"), index=True)
    # Set only when this recipient failed while the rest of its batch went through.
    error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("stage_id", "subscriber_id"),)


class AlertHandoff(PublicIdMixin, Base):
    """The package for neighbouring provinces and the national platform, made when a ring
    first leaves Jiangsu (format in docs/alerts.md)."""

    __tablename__ = "alert_handoff"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("alert_stage.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    package: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
