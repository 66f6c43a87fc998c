"""Pages of the measures catalogue: browse by section, filter by unit, detail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.org import service as org_service
from fanguai.org.models import Unit
from fanguai.plan import service
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()


@router.get("/measures")
def measures_page(
    request: Request,
    unit: str | None = Query(None, max_length=36),
    role: str | None = Query(None, pattern="^(lead|cooperating|)$"),
    section: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=40),
    actor: Actor = require("measures.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The catalogue: sections on the left, measures with their units on the right."""
    try:
        version = service.current_version(session)
    except NotFound:
        return render(request, "plan/measures.html", {"version": None})
    selected_unit = None
    unit_id = None
    if unit:
        selected_unit = org_service.provincial_counterpart(
            session, org_service.get_unit_for(session, actor=actor, public_id=unit)
        )
        unit_id = selected_unit.id
    measures = service.list_measures(
        session,
        actor=actor,
        version=version,
        unit_id=unit_id,
        role=role or None,
        section=section or None,
        q=q or None,
    )
    sections = [m for m in version.measures if m.level == 1]
    members = (
        session.execute(
            select(Unit).where(Unit.level == "province", Unit.is_member).order_by(Unit.ordinal)
        )
        .scalars()
        .all()
    )
    return render(
        request,
        "plan/measures.html",
        {
            "version": version,
            "measures": measures,
            "sections": sections,
            "members": members,
            "selected_unit": selected_unit,
            "role": role or "",
            "section": section or "",
            "q": q or "",
            "total": len(version.measures),
        },
    )


@router.get("/measures/{measure_id}")
def measure_page(
    request: Request,
    measure_id: str,
    actor: Actor = require("measures.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One measure: its text, parents, children, lead and cooperating units."""
    measure = service.get_measure_for(session, actor=actor, public_id=measure_id)
    by_code = {m.code: m for m in measure.version.measures}
    trail = []
    code = measure.parent_code
    while code:
        trail.insert(0, by_code[code])
        code = by_code[code].parent_code
    children = [m for m in measure.version.measures if m.parent_code == measure.code]
    units = {
        u.id: u
        for u in session.execute(
            select(Unit).where(Unit.id.in_([mu.unit_id for mu in measure.units]))
        ).scalars()
    }
    return render(
        request,
        "plan/measure.html",
        {
            "measure": measure,
            "trail": trail,
            "children": children,
            "units": units,
        },
    )
