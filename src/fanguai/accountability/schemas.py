"""API schemas of the accountability module."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ReportFile(BaseModel):
    """What a unit files for a measure (or a cooperating unit for its part)."""

    model_config = ConfigDict(extra="forbid")

    implementation: str | None = Field(None, max_length=20)
    narrative: str = Field(..., max_length=5000)
    problems: str = Field("", max_length=5000)
    next_steps: str = Field("", max_length=5000)
    figures: dict[str, int] = Field(default_factory=dict)


class ReportFileByMeasure(ReportFile):
    """A report named by the measure's code (the current cycle unless one is given)."""

    measure: str = Field(..., max_length=40)
    cycle: str | None = Field(None, max_length=36)


class CycleRead(BaseModel):
    """A reporting cycle."""

    id: str
    name: str
    kind: str
    period_start: date
    period_end: date
    due_at: datetime
    status: str


class ResponsibilityRead(BaseModel):
    """A measure the unit answers for."""

    code: str
    section: str
    text: str
    role: str
    local: bool
    measure_id: str | None


class ContributionRead(BaseModel):
    """A cooperating unit's part of a report."""

    id: str
    unit: str
    status: str
    narrative: str | None
    submitted_at: datetime | None
    figures: dict[str, int]


class EvidenceRead(BaseModel):
    """An evidence file's description (the file itself: /progress/evidence/{id})."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ReportRead(BaseModel):
    """A progress report with its consolidated figures."""

    id: str
    cycle: str
    unit: str
    unit_code: str
    measure: str
    section: str
    measure_text: str
    consolidates: bool
    status: str
    overdue: bool
    implementation: str | None
    narrative: str | None
    problems: str | None
    next_steps: str | None
    submitted_at: datetime | None
    on_time: bool | None
    figures: dict[str, int]
    figures_total: dict[str, int]
    contributions: list[ContributionRead]
    evidence: list[EvidenceRead]


class ReportSummary(BaseModel):
    """A report in a list."""

    id: str
    measure: str
    unit: str
    unit_code: str
    status: str
    overdue: bool
    submitted_at: datetime | None


class ScoreInput(BaseModel):
    """A reviewer's scores on every criterion of the rubric, and a comment."""

    model_config = ConfigDict(extra="forbid")

    scores: dict[str, float]
    comment: str = Field("", max_length=5000)


class GroupRead(BaseModel):
    """An aggregate of an evaluation."""

    key: str
    label: str
    items: int
    scored: int
    mean: float | None
    reports_due: int
    on_time: int
    late: int
    missing: int


class EvaluationRead(BaseModel):
    """An evaluation with its aggregates."""

    id: str
    kind: str
    title: str
    document_number: str
    status: str
    cycles: list[str]
    rubric: dict[str, float]
    by_section: list[GroupRead]
    by_unit: list[GroupRead]
    by_region: list[GroupRead]
    by_measure: list[GroupRead]
    commended: list[dict[str, str]]
    criticised: list[dict[str, str]]


class EvaluationSummary(BaseModel):
    """An evaluation in a list."""

    id: str
    kind: str
    title: str
    document_number: str
    status: str
    created_at: datetime
