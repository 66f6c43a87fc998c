"""JSON routes of the retention module (``/api/retention``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.retention import service
from fanguai.retention.schemas import (
    ClassRead,
    HoldCreate,
    HoldPage,
    HoldRead,
    HoldRelease,
    hold_read,
)
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api/retention", tags=["retention"])


@router.get("/schedule", response_model=list[ClassRead])
def schedule(
    request: Request,
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> list[ClassRead]:
    """The schedule, with the records due now (and held) among those the reader can see."""
    rows = service.schedule_rows(
        session, actor=actor, settings=request.app.state.settings, now=utcnow()
    )
    return [ClassRead(**row.__dict__) for row in rows]


@router.get("/holds", response_model=HoldPage)
def holds(
    active: bool = Query(False),
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> HoldPage:
    """Legal holds on records the reader can see, newest first."""
    items = [hold_read(h) for h in service.list_holds(session, actor=actor, active_only=active)]
    return HoldPage(items=items, total=len(items))


@router.post("/holds", response_model=HoldRead, status_code=201)
def place(
    body: HoldCreate,
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> HoldRead:
    """Place a legal hold on a record in scope (404 when unknown or outside scope)."""
    hold = service.place_hold(
        session,
        actor=actor,
        object_type=body.object_type,
        object_id=body.object_id,
        reason=body.reason,
    )
    return hold_read(hold)


@router.post("/holds/{hold_id}/release", response_model=HoldRead)
def release(
    hold_id: str,
    body: HoldRelease,
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> HoldRead:
    """Release a legal hold (the next run purges the record if its period has ended)."""
    return hold_read(
        service.release_hold(session, actor=actor, public_id=hold_id, reason=body.reason)
    )
