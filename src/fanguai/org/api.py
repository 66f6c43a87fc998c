"""JSON routes of the organisation subject."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.org import service
from fanguai.org.schemas import UnitPage, UnitRead, UserRead
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api", tags=["org"])


@router.get("/units", response_model=UnitPage)
def list_units(
    q: str | None = Query(None, max_length=40),
    level: str | None = Query(None, pattern="^(province|city|county)$"),
    department: str | None = Query(None, max_length=30),
    division: str | None = Query(None, pattern=r"^\d{6}$"),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=200),
    actor: Actor = require("units.read"),
    session: Session = Depends(get_session),
) -> UnitPage:
    """Units the user may see."""
    result = service.list_units(
        session,
        actor=actor,
        q=q,
        level=level,
        department=department,
        division_code=division,
        page=page,
        page_size=page_size,
    )
    return UnitPage(
        items=[service.unit_read(u) for u in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/units/{unit_id}", response_model=UnitRead)
def get_unit(
    unit_id: str, actor: Actor = require("units.read"), session: Session = Depends(get_session)
) -> UnitRead:
    """One unit (404 when missing or out of scope)."""
    return service.unit_read(service.get_unit_for(session, actor=actor, public_id=unit_id))


@router.get("/staff", response_model=list[UserRead])
def list_staff(
    unit: str | None = Query(None, max_length=36),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("users.read"),
    session: Session = Depends(get_session),
) -> list[UserRead]:
    """Staff users in the user's jurisdiction and department line."""
    result = service.list_users(session, actor=actor, unit_public_id=unit, page=page)
    return [service.user_read(u) for u in result.items]


@router.get("/staff/{user_id}", response_model=UserRead)
def get_staff(
    user_id: str, actor: Actor = require("users.read"), session: Session = Depends(get_session)
) -> UserRead:
    """One staff user (404 when missing or out of scope)."""
    return service.user_read(service.get_user_for(session, actor=actor, public_id=user_id))
