"""The outbox: notifications written in the same transaction as the change, sent after commit
by a worker (so nothing is announced that was rolled back)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from fanguai.db import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """One notification to deliver: to a unit's supervisors, or to a user."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    unit_id: int | None = None,
    user_id: int | None = None,
) -> OutboxMessage:
    """Add a message inside the caller's action (no commit here)."""
    message = OutboxMessage(kind=kind, unit_id=unit_id, user_id=user_id, payload=payload)
    session.add(message)
    return message
