"""JSON API of the missing-child cases and alerts module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.alerts import actions, alerting, optout, service, subscribers, views
from fanguai.alerts.transports import SIGNATURE_HEADER, TIMESTAMP_HEADER
from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.web.deps import get_session, public, require

router = APIRouter(prefix="/api", tags=["alerts"])


class ChildIn(BaseModel):
    """The child as the family describes them."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=64)
    sex: str = Field("unknown", pattern="^(male|female|unknown)$")
    age: int | None = Field(None, ge=0, le=17)
    description: str = Field("", max_length=1000)


class GuardianIn(BaseModel):
    """The guardian who reported (stored encrypted, never in an alert)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{5,20}$")


class CaseCreate(BaseModel):
    """A missing-child report taken by the police."""

    model_config = ConfigDict(extra="forbid")

    child: ChildIn
    guardian: GuardianIn | None = None
    last_seen_place: str | None = Field(None, max_length=500)
    last_seen_lat: float | None = None
    last_seen_lng: float | None = None
    last_seen_at: datetime
    category: str = Field(pattern="^(suspected_abduction|lost|runaway|other)$")
    contact_phone: str | None = Field(None, max_length=32)
    leader: str | None = Field(None, max_length=36, description="public id of a police head")


class CloseIn(BaseModel):
    """Closing: the outcome (found alive, found dead, other with reason)."""

    model_config = ConfigDict(extra="forbid")

    outcome: str | None = Field(None, max_length=16)
    reason: str | None = Field(None, max_length=2000)


class CasePage(BaseModel):
    """One page of cases."""

    items: list[dict[str, Any]]
    total: int


@router.get("/cases", response_model=CasePage)
def list_cases(
    status: str | None = Query("open", pattern="^(open|closed)$"),
    category: str | None = Query(None, pattern="^(suspected_abduction|lost|runaway|other)$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> CasePage:
    """Cases in scope, newest disappearance first (the child's name masked)."""
    rows, total = service.list_cases(
        session, actor=actor, status=status, category=category, page=page
    )
    return CasePage(items=[views.case_summary(session, c) for c in rows], total=total)


@router.post("/cases", status_code=201)
def create_case(
    body: CaseCreate,
    actor: Actor = require("cases.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Open a case: the child, the last-seen place and time, a leader, the three duties."""
    case = actions.report_case(
        session,
        actor=actor,
        child=body.child.model_dump(),
        guardian=body.guardian.model_dump() if body.guardian else None,
        last_seen_place=body.last_seen_place,
        last_seen_lat=body.last_seen_lat,
        last_seen_lng=body.last_seen_lng,
        last_seen_at=body.last_seen_at,
        category=body.category,
        contact_phone=body.contact_phone,
        leader_public_id=body.leader,
    )
    return views.case_summary(session, case)


@router.get("/cases/{case_id}")
def get_case(
    case_id: str,
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """One case with its team, duties, timeline and alert."""
    case = service.get_case_for(session, actor=actor, public_id=case_id)
    return views.case_detail(session, case)


@router.post("/cases/{case_id}/alert", status_code=201)
def publish_alert(
    case_id: str,
    actor: Actor = require("alerts.publish"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Publish the case's alert now."""
    actions.publish_alert(session, actor=actor, case_id=case_id)
    case = service.get_case_for(session, actor=actor, public_id=case_id)
    return views.alert_detail(session, case) or {}


@router.post("/cases/{case_id}/close")
def close_case(
    case_id: str,
    body: CloseIn,
    actor: Actor = require("cases.close"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Close with an outcome and the leader's sign-off; an unsolved case answers 409."""
    case = actions.close_case(
        session, actor=actor, case_id=case_id, outcome=body.outcome, reason=body.reason
    )
    return views.case_summary(session, case)


@router.get("/cases/{case_id}/handoff")
def handoff(
    case_id: str,
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """The latest hand-off package for neighbouring provinces and the national platform."""
    case = service.get_case_for(session, actor=actor, public_id=case_id)
    alert = service.alert_of(session, case)
    packages = alerting.handoffs(session, alert) if alert is not None else []
    if not packages:
        raise NotFound("no hand-off: the alert has not left Jiangsu")
    return JSONResponse(
        alerting.handoff_package(session, packages[-1]),
        headers={"Content-Disposition": f'attachment; filename="handoff-{case.case_no}.json"'},
    )


class EndpointIn(BaseModel):
    """A partner webhook, SMTP relay or SMS gateway."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=80)
    kind: str = Field(max_length=12)
    url: str = Field(max_length=300)
    secret: str | None = Field(None, max_length=200)
    sender: str | None = Field(None, max_length=120)
    batch_size: int = 500


class SubscriberIn(BaseModel):
    """A subscriber: kind, channel and where they are (partners: nowhere in particular)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    hub_type: str | None = Field(None, max_length=10)
    label: str | None = Field(None, max_length=80)
    endpoint: str | None = Field(None, max_length=80)
    unit_code: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    external_ref: str | None = Field(None, max_length=120)
    lat: float | None = None
    lng: float | None = None


@router.get("/alerts/subscribers")
def subscriber_counts(
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Active subscribers in the actor's scope by kind and channel, and the endpoints (secrets
    never shown)."""
    from fanguai.alerts.models import AlertEndpoint

    counts = subscribers.counts_by_kind(session, actor)
    endpoints = session.execute(select(AlertEndpoint).order_by(AlertEndpoint.id)).scalars()
    return {
        "subscribers": [
            {"kind": k, "channel": c, "count": n} for (k, c), n in sorted(counts.items())
        ],
        "endpoints": [
            {
                "id": e.public_id,
                "name": e.name,
                "kind": e.kind,
                "url": e.url,
                "batch_size": e.batch_size,
                "active": e.active,
            }
            for e in endpoints
        ],
    }


@router.post("/alerts/endpoints", status_code=201)
def add_endpoint(
    body: EndpointIn,
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Register an endpoint (its secret is stored encrypted and never shown again)."""
    endpoint = actions.add_endpoint(session, actor=actor, data=body.model_dump())
    return {"id": endpoint.public_id, "name": endpoint.name, "kind": endpoint.kind}


@router.post("/alerts/subscribers", status_code=201)
def add_subscriber(
    body: SubscriberIn,
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Register a subscriber; an unknown channel answers 422 naming the field."""
    sub = actions.add_subscriber(session, actor=actor, data=body.model_dump())
    return {"id": sub.public_id, "kind": sub.kind, "channel": sub.channel}


@router.post("/alerts/app-tokens/withdraw")
async def withdraw_app_token(
    request: Request,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The app's push service withdraws a push token (consent withdrawn in the app).

    No login: the request is signed like the alerts sent to the service
    (``X-Fanguai-Endpoint``, ``X-Fanguai-Timestamp``, ``X-Fanguai-Signature``), with its
    endpoint's secret. Body ``{"ref": "<push token>"}``. A repeat answers the same."""
    body = await request.body()
    await run_in_threadpool(
        actions.withdraw_app_token,
        session,
        endpoint_id=request.headers.get(optout.ENDPOINT_HEADER, "")[:36],
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        body=body,
    )
    return {"status": "withdrawn"}
