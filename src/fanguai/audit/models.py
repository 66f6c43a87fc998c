"""The audit log table (append-only; hash-chained with SM3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanguai.db import Base, UTCDateTime


class AuditEvent(Base):
    """One audited event. ``seq`` orders the chain; ``row_hash`` = SM3(prev_hash ‖ content)."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_unit: Mapped[str | None] = mapped_column(String(64))
    actor_roles: Mapped[str] = mapped_column(String(400), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # success | denied | failed
    source: Mapped[str] = mapped_column(String(16))  # web | api | cli | system
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Staff requests: the client address; anonymous requests: a keyed hash of it.
    client: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8), default="normal")  # normal | high
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row): locked by each writer so that sequence and hash are serial."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """Where the online chain starts after older rows were archived and purged (one row)."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)
    purged_upto_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    row_hash: Mapped[str] = mapped_column(String(64))
    archive_sha: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditPurgePermit(Base):
    """Present only inside the purge action: the append-only triggers let deletes through."""

    __tablename__ = "audit_purge_permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    upto_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
