"""JSON routes of the measures catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.org import service as org_service
from fanguai.plan import service
from fanguai.plan.schemas import MeasureRead, PlanVersionRead
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api", tags=["plan"])


@router.get("/measures", response_model=list[MeasureRead])
def list_measures(
    unit: str | None = Query(None, max_length=36, description="opaque unit ID"),
    role: str | None = Query(None, pattern="^(lead|cooperating)$"),
    section: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=40),
    actor: Actor = require("measures.read"),
    session: Session = Depends(get_session),
) -> list[MeasureRead]:
    """Measures of the current plan, in document order."""
    unit_id = None
    if unit:
        unit_id = org_service.provincial_counterpart(
            session, org_service.get_unit_for(session, actor=actor, public_id=unit)
        ).id
    measures = service.list_measures(
        session, actor=actor, unit_id=unit_id, role=role, section=section, q=q
    )
    return [service.measure_read(m) for m in measures]


@router.get("/measures/{measure_id}", response_model=MeasureRead)
def get_measure(
    measure_id: str,
    actor: Actor = require("measures.read"),
    session: Session = Depends(get_session),
) -> MeasureRead:
    """One measure."""
    return service.measure_read(service.get_measure_for(session, actor=actor, public_id=measure_id))


@router.get("/plan/versions", response_model=list[PlanVersionRead])
def list_versions(
    actor: Actor = require("measures.read"), session: Session = Depends(get_session)
) -> list[PlanVersionRead]:
    """Loaded versions of the plan."""
    return [
        PlanVersionRead(
            id=v.public_id,
            name=v.name,
            title=v.title,
            source_sha256=v.source_sha256,
            is_current=v.is_current,
            measures=len(v.measures),
        )
        for v in service.list_versions(session)
    ]
