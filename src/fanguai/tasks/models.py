"""The task table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow
from fanguai.org.models import Unit, User

STATUSES = ("open", "done", "cancelled")


class Task(PublicIdMixin, Base):
    """One tracked piece of work with a deadline (督办任务)."""

    __tablename__ = "task"

    kind: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "identify.dna_sampling"
    title: Mapped[str] = mapped_column(String(200))  # what a person reads; never private data
    # What the task is about: a module's record, by its type and public id.
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(36))
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[str | None] = mapped_column(Text)

    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id], lazy="joined")
    escalated_to: Mapped[Unit | None] = relationship(foreign_keys=[escalated_to_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    __table_args__ = (
        CheckConstraint("status IN ('open','done','cancelled')", name="status"),
        Index("ix_task_subject", "subject_type", "subject_id"),
    )
