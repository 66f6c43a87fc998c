"""Tables of the retention module: legal holds and the log of purged records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow

HOLD_TYPES = (
    "lead",
    "missing_case",
    "victim_file",
    "found_person",
    "missing_record",
    "dna_specimen",
    "evaluation",
)


class LegalHold(PublicIdMixin, Base):
    """A legal hold (依法保全) on one record: while it stands, the schedule never purges it."""

    __tablename__ = "retention_hold"

    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(
        Text,
        info={
            "classification": "personal",
            "encryption": "none",
            "purpose": "justify keeping a record past its retention period",
            "retention": "case",
        },
    )
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    placed_by_name: Mapped[str] = mapped_column(String(120))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    released_by_name: Mapped[str | None] = mapped_column(String(120))
    release_reason: Mapped[str | None] = mapped_column(
        Text,
        info={
            "classification": "personal",
            "encryption": "none",
            "purpose": "justify ending a legal hold",
            "retention": "case",
        },
    )

    __table_args__ = (
        # At most one standing hold per record.
        Index(
            "uq_retention_hold_active",
            "object_type",
            "object_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class PurgeRecord(Base):
    """That the schedule purged one record: when, under which class (never what it held).

    The unique pair makes every purge happen at most once, whatever re-runs and restarts.
    The key-store subjects to crypto-shred are recorded in the purge's own transaction and
    shredded only after it committed; ``keys_shredded_at`` stays empty until every one of them is
    gone, and each run first finishes the purges still pending (shredding is idempotent)."""

    __tablename__ = "retention_purge"

    id: Mapped[int] = mapped_column(primary_key=True)
    data_class: Mapped[str] = mapped_column(String(24), index=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(36))
    expired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Key-store subject IDs (pseudonymous, never a value): the keys the purge destroys.
    keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    keys_shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (UniqueConstraint("object_type", "object_id"),)
