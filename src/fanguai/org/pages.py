"""Pages of the organisation subject: units list and detail, staff list."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.org import service
from fanguai.org.catalogue import DEPARTMENTS
from fanguai.org.models import Division
from fanguai.plan import service as plan_service
from fanguai.security.scope import sees_unit_at
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()


@router.get("/units")
def units_page(
    request: Request,
    q: str | None = Query(None, max_length=40),
    level: str | None = Query(None, pattern="^(province|city|county|)$"),
    department: str | None = Query(None, max_length=30),
    division: str | None = Query(None, pattern=r"^(\d{6})?$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("units.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Units list with filters and pagination."""
    result = service.list_units(
        session,
        actor=actor,
        q=q or None,
        level=level or None,
        department=department or None,
        division_code=division or None,
        page=page,
        page_size=30,
    )
    divisions = session.query(Division).order_by(Division.code).all()
    return render(
        request,
        "org/units.html",
        {
            "page": result,
            "units": [service.unit_read(u) for u in result.items],
            "q": q or "",
            "level": level or "",
            "department": department or "",
            "division": division or "",
            "departments": DEPARTMENTS,
            "divisions": [d for d in divisions if sees_unit_at(actor, d.code)],
        },
    )


@router.get("/units/{unit_id}")
def unit_page(
    request: Request,
    unit_id: str,
    actor: Actor = require("units.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A unit, with the plan measures it leads and supports (through its provincial line)."""
    unit = service.get_unit_for(session, actor=actor, public_id=unit_id)
    counterpart = service.provincial_counterpart(session, unit)
    lead = cooperating = []
    if actor.can("measures.read") and counterpart.plan_name:
        lead = plan_service.list_measures(session, actor=actor, unit_id=counterpart.id, role="lead")
        cooperating = plan_service.list_measures(
            session, actor=actor, unit_id=counterpart.id, role="cooperating"
        )
    return render(
        request,
        "org/unit.html",
        {
            "unit": service.unit_read(unit),
            "counterpart": counterpart,
            "lead": lead,
            "cooperating": cooperating,
            "is_counterpart": counterpart.id != unit.id,
        },
    )


@router.get("/staff")
def staff_page(
    request: Request,
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("users.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Staff users the user may see."""
    result = service.list_users(session, actor=actor, page=page, page_size=30)
    return render(request, "org/staff.html", {"page": result, "users": result.items})
