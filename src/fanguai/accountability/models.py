"""Tables of the plan accountability module (督促检查与考核评估, plan 三).

Reporting cycles (报告周期) ask each lead unit (负责单位) of a measure for a progress report
(进展报告) with figures (工作指标) and evidence (佐证材料); each cooperating unit (配合单位)
files a contribution (配合情况) that the consolidating lead unit takes into its report. City and
county joint conferences adopt the provincial measures in local implementing rules (实施细则)
and add their own. Phase and final evaluations (阶段性评估、终期评估) score each unit's work on
each measure against a rubric (评分细则), and name units for commendation or criticism
(表扬、通报批评). The dashboard (联席会议工作看板) reads a monthly rollup of the operational
modules' figures (``dashboard_rollup``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
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
from fanguai.plan.models import Measure

CYCLE_STATUSES = ("open", "closed")
REPORT_STATUSES = ("pending", "submitted")
EVALUATION_KINDS = ("phase", "final")
EVALUATION_STATUSES = ("scoring", "closed")
RECOGNITION_KINDS = ("commend", "criticise")


class ReportingCycle(PublicIdMixin, Base):
    """One round of progress reporting over a period (e.g. 2026年上半年), province-wide."""

    __tablename__ = "progress_cycle"

    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # half_year | quarter | year | custom
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("status IN ('open','closed')", name="status"),)


class LocalRules(PublicIdMixin, Base):
    """A city's or county's implementing rules (实施细则): adopted and own measures."""

    __tablename__ = "progress_local_rules"

    division_code: Mapped[str] = mapped_column(ForeignKey("division.code"), unique=True)
    office_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))
    title: Mapped[str] = mapped_column(String(200))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    measures: Mapped[list[LocalMeasure]] = relationship(
        back_populates="rules", order_by="LocalMeasure.sort_key", cascade="all, delete-orphan"
    )
    office_unit: Mapped[Unit] = relationship()


class LocalMeasure(PublicIdMixin, Base):
    """A measure of local rules: a provincial one adopted for this level, or a local addition."""

    __tablename__ = "progress_local_measure"

    rules_id: Mapped[int] = mapped_column(ForeignKey("progress_local_rules.id"), index=True)
    source_measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    section_code: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    sort_key: Mapped[int] = mapped_column(Integer)

    rules: Mapped[LocalRules] = relationship(back_populates="measures")
    source: Mapped[Measure | None] = relationship()
    units: Mapped[list[LocalMeasureUnit]] = relationship(
        back_populates="measure",
        order_by="LocalMeasureUnit.ordinal",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (UniqueConstraint("rules_id", "code"),)


class LocalMeasureUnit(Base):
    """A local unit responsible for a local measure: lead or cooperating."""

    __tablename__ = "progress_local_measure_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    local_measure_id: Mapped[int] = mapped_column(
        ForeignKey("progress_local_measure.id"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # lead | cooperating
    ordinal: Mapped[int] = mapped_column(Integer)

    measure: Mapped[LocalMeasure] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("role IN ('lead','cooperating')", name="role"),)


class ProgressReport(PublicIdMixin, Base):
    """What one lead unit did on one measure in one cycle (进展报告)."""

    __tablename__ = "progress_report"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("progress_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # A provincial measure (provincial units) or a measure of local rules (city/county units).
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    local_measure_id: Mapped[int | None] = mapped_column(ForeignKey("progress_local_measure.id"))
    measure_code: Mapped[str] = mapped_column(String(40))
    section_code: Mapped[str] = mapped_column(String(40), index=True)
    sort_key: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the unit's division
    # The first lead unit named consolidates (牵头汇总) the cooperating units' contributions.
    consolidates: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    implementation: Mapped[str | None] = mapped_column(String(20))
    narrative: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    cycle: Mapped[ReportingCycle] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    measure: Mapped[Measure | None] = relationship()
    local_measure: Mapped[LocalMeasure | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    contributions: Mapped[list[ProgressContribution]] = relationship(
        back_populates="report", order_by="ProgressContribution.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('pending','submitted')", name="status"),
        CheckConstraint("(measure_id IS NULL) <> (local_measure_id IS NULL)", name="one_measure"),
        UniqueConstraint("cycle_id", "unit_id", "measure_id", "local_measure_id"),
        Index("ix_progress_report_cycle_status", "cycle_id", "status"),
    )


class ProgressContribution(PublicIdMixin, Base):
    """A cooperating unit's part of a measure in a cycle (配合情况), consolidated by the lead."""

    __tablename__ = "progress_contribution"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    narrative: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # When the lead unit last consolidated its report with this contribution in it.
    consolidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    report: Mapped[ProgressReport] = relationship(back_populates="contributions")
    unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("status IN ('pending','submitted')", name="status"),
        UniqueConstraint("report_id", "unit_id"),
    )


class ProgressFigure(Base):
    """One numeric indicator of a report (the lead's own part) or of a contribution."""

    __tablename__ = "progress_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_contribution.id"), index=True
    )
    indicator: Mapped[str] = mapped_column(String(30))
    value: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("value >= 0", name="value"),)


class ProgressEvidence(PublicIdMixin, Base):
    """An evidence file (佐证材料) attached to a report or a contribution."""

    __tablename__ = "progress_evidence"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("progress_contribution.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class Rubric(PublicIdMixin, Base):
    """A scoring rubric (评分细则): named criteria, each with a maximum score."""

    __tablename__ = "progress_rubric"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric",
        order_by="RubricCriterion.ordinal",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def max_total(self) -> float:
        return sum(c.max_score for c in self.criteria)


class RubricCriterion(Base):
    """One criterion of a rubric: completion, timeliness, quality of evidence, innovation, ..."""

    __tablename__ = "progress_rubric_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("progress_rubric.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    max_score: Mapped[float] = mapped_column(Float)
    ordinal: Mapped[int] = mapped_column(Integer)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    __table_args__ = (
        UniqueConstraint("rubric_id", "code"),
        CheckConstraint("max_score > 0", name="max_score"),
    )


class Evaluation(PublicIdMixin, Base):
    """A phase or final evaluation of the plan's implementation (阶段性评估/终期评估)."""

    __tablename__ = "progress_evaluation"

    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(120))
    document_number: Mapped[str] = mapped_column(String(40))  # 文号, e.g. 苏反拐办〔2026〕3号
    division_code: Mapped[str] = mapped_column(String(6))  # the evaluating office's division
    rubric_id: Mapped[int] = mapped_column(ForeignKey("progress_rubric.id"))
    cycle_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="scoring")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rubric: Mapped[Rubric] = relationship(lazy="joined")
    items: Mapped[list[EvaluationItem]] = relationship(
        back_populates="evaluation",
        order_by="EvaluationItem.sort_key",
        cascade="all, delete-orphan",
    )
    recognitions: Mapped[list[EvaluationRecognition]] = relationship(
        back_populates="evaluation",
        order_by="EvaluationRecognition.id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        CheckConstraint("kind IN ('phase','final')", name="kind"),
        CheckConstraint("status IN ('scoring','closed')", name="status"),
    )


class EvaluationItem(PublicIdMixin, Base):
    """One unit's work on one measure over the evaluated cycles, with the facts a reviewer needs."""

    __tablename__ = "progress_evaluation_item"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("progress_evaluation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    measure_code: Mapped[str] = mapped_column(String(40))
    section_code: Mapped[str] = mapped_column(String(40))
    measure_text: Mapped[str] = mapped_column(Text)
    sort_key: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = mapped_column(String(6))
    reports_due: Mapped[int] = mapped_column(Integer)
    reports_on_time: Mapped[int] = mapped_column(Integer)
    reports_late: Mapped[int] = mapped_column(Integer)
    evidence_files: Mapped[int] = mapped_column(Integer)
    latest_implementation: Mapped[str | None] = mapped_column(String(20))
    latest_report_id: Mapped[int | None] = mapped_column(ForeignKey("progress_report.id"))

    evaluation: Mapped[Evaluation] = relationship(back_populates="items")
    unit: Mapped[Unit] = relationship(lazy="joined")
    scores: Mapped[list[EvaluationScore]] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("evaluation_id", "unit_id", "measure_code"),)


class EvaluationScore(Base):
    """A reviewer's score on one criterion of one item, with a comment."""

    __tablename__ = "progress_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("progress_evaluation_item.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewer_name: Mapped[str] = mapped_column(String(80))
    criterion: Mapped[str] = mapped_column(String(30))
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[EvaluationItem] = relationship(back_populates="scores")

    __table_args__ = (
        UniqueConstraint("item_id", "reviewer_name", "criterion"),
        CheckConstraint("score >= 0", name="score"),
    )


class EvaluationRecognition(PublicIdMixin, Base):
    """A unit named for commendation (表扬) or public criticism (通报批评), with the reason."""

    __tablename__ = "progress_recognition"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("progress_evaluation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="recognitions")
    unit: Mapped[Unit] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("kind IN ('commend','criticise')", name="kind"),
        UniqueConstraint("evaluation_id", "unit_id"),
    )


class RollupCount(Base):
    """A month's count of an operational module's records in a county (dashboard rollup)."""

    __tablename__ = "dashboard_rollup"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, Beijing time
    count: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """When each source's rollup was last refreshed (fully, and at all)."""

    __tablename__ = "dashboard_rollup_state"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    full_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RollupExtra(Base):
    """A dashboard figure that is not a count by county and month (median time to find, ...)."""

    __tablename__ = "dashboard_extra"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[object] = mapped_column(JSON, nullable=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
