"""API schemas of the plan subject."""

from __future__ import annotations

from pydantic import BaseModel


class MeasureRead(BaseModel):
    """A measure as the API and ``fanguai plan measures --json`` show it."""

    id: str | None = None
    code: str
    parent: str | None
    level: int
    text: str
    lead_units: list[str]
    cooperating_units: list[str]


class PlanVersionRead(BaseModel):
    """A loaded version of the plan."""

    id: str
    name: str
    title: str
    source_sha256: str
    is_current: bool
    measures: int
