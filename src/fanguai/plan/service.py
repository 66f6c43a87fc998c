"""Queries of the measures catalogue."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.plan.models import Measure, MeasureUnit, PlanVersion
from fanguai.plan.schemas import MeasureRead


def bundled_plan_text() -> str:
    """The plan text shipped with the package (苏政办发〔2021〕99号)."""
    return (
        resources.files("fanguai.plan")
        .joinpath("data/jiangsu-implementation-opinions-2021.txt")
        .read_text(encoding="utf-8")
    )


def current_version(session: Session, *, name: str | None = None) -> PlanVersion:
    """The current plan version, or the one named; ``NotFound`` if none is loaded."""
    stmt = select(PlanVersion)
    stmt = stmt.where(PlanVersion.name == name) if name else stmt.where(PlanVersion.is_current)
    version = session.execute(stmt).scalar_one_or_none()
    if version is None:
        raise NotFound(f"plan version {name!r} not loaded" if name else "no plan loaded")
    return version


def list_versions(session: Session) -> list[PlanVersion]:
    """Every loaded plan version, newest first."""
    return list(
        session.execute(select(PlanVersion).order_by(PlanVersion.loaded_at.desc())).scalars()
    )


def measure_read(measure: Measure) -> MeasureRead:
    """The API view of a measure."""
    return MeasureRead(
        id=measure.public_id,
        code=measure.code,
        parent=measure.parent_code,
        level=measure.level,
        text=measure.text,
        lead_units=measure.lead_units,
        cooperating_units=measure.cooperating_units,
    )


def list_measures(
    session: Session,
    *,
    actor: Actor | None,
    version: PlanVersion | None = None,
    unit_id: int | None = None,
    role: str | None = None,
    section: str | None = None,
    q: str | None = None,
) -> list[Measure]:
    """Measures of a plan version in document order, filtered by unit, role, section or text."""
    if actor is not None:  # None: an operator on the server
        actor.require("measures.read")
    version = version or current_version(session)
    stmt = select(Measure).where(Measure.version_id == version.id)
    if unit_id is not None:
        sub = select(MeasureUnit.id).where(
            MeasureUnit.measure_id == Measure.id, MeasureUnit.unit_id == unit_id
        )
        if role:
            sub = sub.where(MeasureUnit.role == role)
        stmt = stmt.where(exists(sub))
    if section:
        stmt = stmt.where(Measure.code.startswith(section, autoescape=True))
    if q:
        stmt = stmt.where(Measure.text.contains(q, autoescape=True))
    return list(session.execute(stmt.order_by(Measure.ordinal)).scalars())


def get_measure_for(session: Session, *, actor: Actor, public_id: str) -> Measure:
    """A measure by its opaque ID."""
    if actor is not None:  # None: an operator on the server
        actor.require("measures.read")
    measure = session.execute(
        select(Measure).where(Measure.public_id == public_id)
    ).scalar_one_or_none()
    if measure is None:
        raise NotFound("measure not found")
    return measure


def get_measure_by_code(session: Session, *, actor: Actor, code: str) -> Measure:
    """A measure of the current version by its plan code, e.g. ``二(一)2(1)``."""
    if actor is not None:  # None: an operator on the server
        actor.require("measures.read")
    version = current_version(session)
    measure = session.execute(
        select(Measure).where(Measure.version_id == version.id, Measure.code == code)
    ).scalar_one_or_none()
    if measure is None:
        raise NotFound(f"measure {code!r} not found")
    return measure
