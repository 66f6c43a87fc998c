"""Pages of the missing-child cases and alerts module: case list and detail (map, publish,
withdraw, close, delivery status), the report form, and the public alert page for partners."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.alerts import actions, alerting, service, subscribers, views
from fanguai.alerts.models import (
    CATEGORIES,
    CHANNELS,
    HUB_TYPES,
    SUBSCRIBER_KINDS,
    Alert,
    AlertEndpoint,
    AlertSubscriber,
    CasePhoto,
    MissingCase,
)
from fanguai.alerts.optout import TokenRefused, read_token
from fanguai.alerts.photos import MAX_BYTES, photo_bytes
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import InvalidInput, NotFound
from fanguai.geo import service as geo
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
    data = photo_bytes(session, photo)
    if data is None:
        raise NotFound("photo not found")
    return Response(data, media_type=photo.media_type, headers={"Cache-Control": "no-store"})


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
    data = photo_bytes(session, photo) if photo is not None else None
    if photo is None or data is None:
        raise NotFound("photo not found")
    return Response(data, media_type=photo.media_type, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- subscribers (staff)

SUBSCRIBER_FORM = (
    "kind",
    "channel",
    "hub_type",
    "label",
    "endpoint",
    "unit_code",
    "address",
    "external_ref",
    "lat",
    "lng",
)


def _masked_ref(ref: str | None) -> str:
    if not ref:
        return "—"
    if ref.startswith("x:"):
        return "（已撤回）"
    return "…" + ref[-4:] if len(ref) > 4 else "****"


def _county_label(code: str | None) -> str:
    """A county's name for the list (its code when unknown, a dash when there is none)."""
    if not code:
        return "—"
    try:
        return geo.get_division(code).name
    except geo.UnknownDivision:
        return code


def _subscriber_row(sub: AlertSubscriber) -> dict:
    """A subscriber in the list: never the address, only its stored hint (masked)."""
    return {
        "id": sub.public_id,
        "kind": sub.kind,
        "hub_type": sub.hub_type,
        "label": sub.label,
        "channel": sub.channel,
        "endpoint": sub.endpoint.name if sub.endpoint is not None else "—",
        "contact": sub.address_hint or _masked_ref(sub.external_ref),
        "county": _county_label(sub.county_code),
        "county_code": sub.county_code or "",
        "active": sub.active,
        "opted_out": sub.opted_out_at is not None,
        "erased": sub.erased_at is not None,
        "created_at": sub.created_at,
    }


@router.get("/alerts/subscribers")
def subscribers_page(
    request: Request,
    kind: str = Query("", pattern="^(|police_unit|transport_hub|volunteer|app_user|partner)$"),
    channel: str = Query("", pattern="^(|internal|webhook|email|sms)$"),
    county: str = Query("", pattern="^([0-9]{6})?$"),
    active: str = Query("", pattern="^(|yes|no)$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Subscribers with filters and counts (addresses masked), to add or switch off."""
    rows, total = subscribers.list_subscribers(
        session,
        actor=actor,
        kind=kind or None,
        channel=channel or None,
        county=county or None,
        active={"yes": True, "no": False}.get(active),
        page=page,
    )
    filters = {"kind": kind, "channel": channel, "county": county, "active": active}
    return render(
        request,
        "alerts/subscribers.html",
        {
            "rows": [_subscriber_row(s) for s in rows],
            "total": total,
            "counts": sorted(subscribers.counts_by_kind(session, actor).items()),
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "kinds": SUBSCRIBER_KINDS,
            "channels": CHANNELS,
            "page": page,
            "pages": max(1, -(-total // subscribers.PAGE_SIZE)),
        },
    )


def _subscriber_form(
    request: Request,
    session: Session,
    values: dict,
    errors: dict[str, str],
    status_code: int = 200,
    error_keys: dict[str, str] | None = None,
) -> Response:
    endpoints = session.execute(
        select(AlertEndpoint).where(AlertEndpoint.active.is_(True)).order_by(AlertEndpoint.name)
    ).scalars()
    return render(
        request,
        "alerts/subscriber_new.html",
        {
            "values": values,
            "errors": errors,
            # The Chinese text shown beside a field, when not its usual one.
            "error_keys": error_keys or {},
            "kinds": SUBSCRIBER_KINDS,
            "channels": CHANNELS,
            "hub_types": HUB_TYPES,
            "endpoints": [{"id": e.public_id, "name": e.name, "kind": e.kind} for e in endpoints],
        },
        status_code=status_code,
    )


@router.get("/alerts/subscribers/new")
def new_subscriber_page(
    request: Request,
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """The form to register a subscriber."""
    return _subscriber_form(request, session, {"kind": "volunteer", "channel": "sms"}, {})


@router.post("/alerts/subscribers/new")
def new_subscriber(
    request: Request,
    kind: str = Form("", max_length=20),
    channel: str = Form("", max_length=20),
    hub_type: str = Form("", max_length=10),
    label: str = Form("", max_length=80),
    endpoint: str = Form("", max_length=80),
    unit_code: str = Form("", max_length=20),
    address: str = Form("", max_length=200),
    external_ref: str = Form("", max_length=120),
    lat: str = Form("", max_length=20),
    lng: str = Form("", max_length=20),
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Register the subscriber (the API's rules); on bad input the form comes back with what was
    typed and, beside the field, what is wrong."""
    values = dict(
        kind=kind,
        channel=channel,
        hub_type=hub_type,
        label=label,
        endpoint=endpoint,
        unit_code=unit_code,
        address=address,
        external_ref=external_ref,
        lat=lat,
        lng=lng,
    )
    try:
        data = {**values, "lat": _parse_float(lat, "lat"), "lng": _parse_float(lng, "lng")}
        actions.add_subscriber(session, actor=actor, data=data)
    except InvalidInput as exc:
        field = exc.field if exc.field in SUBSCRIBER_FORM else "form"
        keys = {}
        if isinstance(exc, subscribers.OutsideScope):
            keys[field] = f"subscribers.error.outside_{exc.reason}"
        return _subscriber_form(request, session, values, {field: exc.message}, 422, keys)
    return RedirectResponse("/alerts/subscribers", status_code=303)


@router.post("/alerts/subscribers/{subscriber_id}/deactivate")
def deactivate_subscriber(
    subscriber_id: str,
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Stop sending alerts to a subscriber."""
    actions.deactivate_subscriber(session, actor=actor, subscriber_id=subscriber_id)
    return RedirectResponse("/alerts/subscribers", status_code=303)


@router.post("/alerts/subscribers/{subscriber_id}/reactivate")
def reactivate_subscriber(
    subscriber_id: str,
    actor: Actor = require("subscribers.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Send alerts to a deactivated subscriber again (never to one who opted out)."""
    actions.reactivate_subscriber(session, actor=actor, subscriber_id=subscriber_id)
    return RedirectResponse("/alerts/subscribers", status_code=303)


# ---------------------------------------------------------------- opt-out (public)


def _platform_secret(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


def _optout_page(request: Request, state: str, token: str = "", status_code: int = 200) -> Response:
    return render(
        request,
        "alerts/optout.html",
        {"state": state, "token": token},
        status_code=status_code,
    )


@router.get("/public/optout/{token}")
def optout_page(
    request: Request,
    token: str,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """The opt-out link of an alert message: asks to confirm (a link preview must not opt out)."""
    try:
        public_id = read_token(_platform_secret(request), token, utcnow())
        sub = subscribers.get_subscriber(session, public_id)
    except TokenRefused as exc:
        return _optout_page(
            request, "expired" if exc.expired else "invalid", "", 410 if exc.expired else 400
        )
    except NotFound:
        return _optout_page(request, "invalid", "", 404)
    if sub.opted_out_at is not None:
        return _optout_page(request, "done")
    return _optout_page(request, "confirm", token)


@router.post("/public/optout/{token}")
def optout(
    request: Request,
    token: str,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """Opt out (also the RFC 8058 one-click POST of mail clients): no more alerts, address
    deleted. The signed token is the authority; a repeat gives the same answer."""
    try:
        actions.opt_out(session, actor=actor, token=token, secret=_platform_secret(request))
    except TokenRefused as exc:
        return _optout_page(
            request, "expired" if exc.expired else "invalid", "", 410 if exc.expired else 400
        )
    except NotFound:
        return _optout_page(request, "invalid", "", 404)
    return _optout_page(request, "done")
