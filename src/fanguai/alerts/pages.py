"""Pages of the missing-child cases and alerts module: case list and detail (map, publish,
withdraw, close, delivery status), the report form, and the public alert page for partners."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.alerts import actions, alerting, service, views
from fanguai.alerts.models import CATEGORIES, Alert, CasePhoto, MissingCase
from fanguai.alerts.photos import MAX_BYTES
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import InvalidInput, NotFound
from fanguai.web.deps import get_session, public, require
from fanguai.web.templating import beijing, render, templates

router = APIRouter()
BEIJING = ZoneInfo("Asia/Shanghai")


def _isotime(value: str | None) -> str:
    """An ISO time from the read models, shown in Beijing time like every other page."""
    return beijing(datetime.fromisoformat(value)) if value else "—"


templates.env.filters.setdefault("isotime", _isotime)
FIELD_LABELS = {
    "child": "child.name",
    "child.name": "child.name",
    "child.age": "child.age",
    "child.sex": "child.sex",
    "child.description": "child.description",
    "last_seen_lat": "last_seen_lat",
    "last_seen_lng": "last_seen_lat",
    "last_seen_at": "last_seen_at",
    "last_seen_place": "last_seen_place",
    "category": "category",
    "contact_phone": "contact_phone",
    "leader": "leader",
}


def _back(case_id: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases")
def cases_page(
    request: Request,
    status: str = Query("open", pattern="^(open|closed)$"),
    category: str | None = Query(None, pattern="^(suspected_abduction|lost|runaway|other|)$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Open (or closed) cases in scope, newest disappearance first."""
    rows, total = service.list_cases(
        session, actor=actor, status=status, category=category or None, page=page
    )
    return render(
        request,
        "alerts/cases.html",
        {
            "cases": [views.case_summary(session, c) for c in rows],
            "total": total,
            "status": status,
            "category": category or "",
            "categories": CATEGORIES,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "now": utcnow(),
        },
    )


def _form_context(values: dict, errors: dict[str, str]) -> dict:
    return {"values": values, "errors": errors, "categories": CATEGORIES}


@router.get("/cases/new")
def new_case_page(request: Request, actor: Actor = require("cases.manage")) -> Response:
    """The report form (a missing child reported to the police)."""
    now = utcnow().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    return render(request, "alerts/new.html", _form_context({"last_seen_at": now}, {}))


def _parse_float(value: str, field: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput("not a number", field=field) from None


@router.post("/cases/new")
def new_case(
    request: Request,
    child_name: str = Form("", max_length=64),
    child_sex: str = Form("unknown", max_length=8),
    child_age: str = Form("", max_length=3),
    description: str = Form("", max_length=1000),
    guardian_name: str = Form("", max_length=64),
    guardian_phone: str = Form("", max_length=20),
    last_seen_place: str = Form("", max_length=500),
    last_seen_lat: str = Form("", max_length=20),
    last_seen_lng: str = Form("", max_length=20),
    last_seen_at: str = Form("", max_length=20),
    category: str = Form("lost", max_length=24),
    contact_phone: str = Form("110", max_length=32),
    actor: Actor = require("cases.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Open the case; on bad input the form comes back with what was typed and the reason."""
    values = dict(
        child_name=child_name,
        child_sex=child_sex,
        child_age=child_age,
        description=description,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        last_seen_place=last_seen_place,
        last_seen_lat=last_seen_lat,
        last_seen_lng=last_seen_lng,
        last_seen_at=last_seen_at,
        category=category,
        contact_phone=contact_phone,
    )
    try:
        try:
            seen = datetime.fromisoformat(last_seen_at).replace(tzinfo=BEIJING)
        except ValueError:
            raise InvalidInput("not a date and time", field="last_seen_at") from None
        age = child_age.strip()
        if age and not age.isdigit():
            raise InvalidInput("not a whole number", field="child.age")
        case = actions.report_case(
            session,
            actor=actor,
            child={
                "name": child_name,
                "sex": child_sex,
                "age": int(age) if age else None,
                "description": description,
            },
            guardian={"name": guardian_name or None, "phone": guardian_phone or None},
            last_seen_place=last_seen_place,
            last_seen_lat=_parse_float(last_seen_lat, "last_seen_lat"),
            last_seen_lng=_parse_float(last_seen_lng, "last_seen_lng"),
            last_seen_at=seen,
            category=category,
            contact_phone=contact_phone,
        )
    except InvalidInput as exc:
        key = FIELD_LABELS.get(exc.field or "", "form")
        return render(
            request,
            "alerts/new.html",
            _form_context(values, {key: exc.message}),
            status_code=422,
        )
    return _back(case.public_id)


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: str,
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A case: child, leader and team, duties, timeline, map with the ring, alert status."""
    case = service.get_case_for(session, actor=actor, public_id=case_id)
    detail = views.case_detail(session, case)
    return render(
        request,
        "alerts/case.html",
        {
            "case": detail,
            "may_sign": service.may_sign_off(actor, case),
            "may_publish": actor.can("alerts.publish"),
            "may_manage": actor.can("cases.manage"),
            "may_lead": actor.can("cases.close"),
            "candidates": service.leader_candidates(session, case)
            if actor.can("cases.close")
            else [],
            "map": {
                "point": [case.last_seen_lng, case.last_seen_lat]
                if case.last_seen_lat is not None
                else None,
                "ring": (detail["alert_detail"] or {}).get("ring"),
                "radius": (detail["alert_detail"] or {}).get("radius_km"),
            },
            "max_photo_mb": MAX_BYTES // (1024 * 1024),
        },
    )


@router.post("/cases/{case_id}/publish")
def publish(
    case_id: str, actor: Actor = require("alerts.publish"), session: Session = Depends(get_session)
) -> Response:
    """Publish the alert now."""
    actions.publish_alert(session, actor=actor, case_id=case_id)
    return _back(case_id)


@router.post("/cases/{case_id}/withdraw")
def withdraw(
    case_id: str,
    reason: str = Form("", max_length=500),
    actor: Actor = require("alerts.publish"),
    session: Session = Depends(get_session),
) -> Response:
    """Withdraw the alert (the case stays open until the leader signs off its closing)."""
    actions.withdraw_alert(session, actor=actor, case_id=case_id, reason=reason)
    return _back(case_id)


@router.post("/cases/{case_id}/close")
def close(
    case_id: str,
    outcome: str = Form("", max_length=16),
    reason: str = Form("", max_length=2000),
    actor: Actor = require("cases.close"),
    session: Session = Depends(get_session),
) -> Response:
    """Close with an outcome and the sign-off (an unsolved case is refused)."""
    actions.close_case(
        session, actor=actor, case_id=case_id, outcome=outcome or None, reason=reason
    )
    return _back(case_id)


@router.post("/cases/{case_id}/review")
def review(
    case_id: str,
    note: str = Form("", max_length=2000),
    actor: Actor = require("cases.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record a review of the unsolved case."""
    actions.review_case(session, actor=actor, case_id=case_id, note=note)
    return _back(case_id)


@router.post("/cases/{case_id}/leader")
def leader(
    case_id: str,
    user_id: str = Form(..., max_length=36),
    actor: Actor = require("cases.close"),
    session: Session = Depends(get_session),
) -> Response:
    """Name another case leader."""
    actions.assign_leader(session, actor=actor, case_id=case_id, user_id=user_id)
    return _back(case_id)


@router.post("/cases/{case_id}/photos")
async def upload_photo(
    case_id: str,
    photo: UploadFile = File(...),
    actor: Actor = require("cases.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Attach a photo of the child (checked, re-encoded, metadata removed)."""
    raw = await photo.read(MAX_BYTES + 1)
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(actions.add_photo, session, actor=actor, case_id=case_id, raw=raw)
    return _back(case_id)


@router.get("/cases/photos/{photo_id}")
def case_photo(
    photo_id: str,
    actor: Actor = require("cases.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A photo of the child, for those who may see its case."""
    photo = session.execute(
        select(CasePhoto).where(CasePhoto.public_id == photo_id)
    ).scalar_one_or_none()
    if photo is None:
        raise NotFound("photo not found")
    case = session.get(MissingCase, photo.case_id)
    if case is None or not service.in_scope(actor, case):
        raise NotFound("photo not found")
    return Response(photo.data, media_type=photo.media_type)


def _public_alert(session: Session, alert_id: str) -> Alert:
    alert = session.execute(select(Alert).where(Alert.public_id == alert_id)).scalar_one_or_none()
    if alert is None:
        raise NotFound("alert not found")
    return alert


@router.get("/public/alerts/{alert_id}")
def public_alert(
    request: Request,
    alert_id: str,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """The alert as partners and the public see it: no family data; after withdrawal, only
    that the alert is over (the photo is no longer shown)."""
    alert = _public_alert(session, alert_id)
    content = alert.content if alert.status == "active" else {"case_no": alert.content["case_no"]}
    return render(
        request,
        "alerts/public.html",
        {"alert": content, "status": alert.status, "radius": alert.radius_km, "id": alert_id},
    )


@router.get("/public/alerts/{alert_id}/photo")
def public_alert_photo(
    alert_id: str, actor: Actor = public(), session: Session = Depends(get_session)
) -> Response:
    """The child's photo while the alert is active."""
    alert = _public_alert(session, alert_id)
    photo = alerting.latest_photo(session, alert.case) if alert.status == "active" else None
    if photo is None:
        raise NotFound("photo not found")
    return Response(photo.data, media_type=photo.media_type)
