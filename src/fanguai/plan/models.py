"""The plan's measures catalogue, versioned: a revised plan is loaded beside the old one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanguai.db import Base, PublicIdMixin, UTCDateTime, utcnow


class PlanVersion(PublicIdMixin, Base):
    """One loaded text of the plan (实施意见)."""

    __tablename__ = "plan_version"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)

    measures: Mapped[list[Measure]] = relationship(
        back_populates="version", order_by="Measure.ordinal", cascade="all, delete-orphan"
    )


class Measure(PublicIdMixin, Base):
    """A numbered measure of part 二 (行动措施和任务分工), e.g. ``二(一)2(1)``."""

    __tablename__ = "measure"

    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    annotation: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship(back_populates="measures")
    units: Mapped[list[MeasureUnit]] = relationship(
        back_populates="measure",
        order_by="MeasureUnit.ordinal",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (UniqueConstraint("version_id", "code"),)

    @property
    def lead_units(self) -> list[str]:
        return [u.unit_name for u in self.units if u.role == "lead"]

    @property
    def cooperating_units(self) -> list[str]:
        return [u.unit_name for u in self.units if u.role == "cooperating"]


class MeasureUnit(Base):
    """A unit responsible for a measure: lead (负责) or cooperating (配合)."""

    __tablename__ = "measure_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(40))  # as written in the plan
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # lead | cooperating
    ordinal: Mapped[int] = mapped_column(Integer)

    measure: Mapped[Measure] = relationship(back_populates="units")
