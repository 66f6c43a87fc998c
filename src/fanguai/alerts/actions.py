"""State changes of the cases and alerts module, each one action (transaction + audit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.alerts import alerting, dispatch, optout, photos, service, subscribers
from fanguai.alerts.models import Alert, AlertEndpoint, AlertSubscriber, CasePhoto, MissingCase
from fanguai.core.actions import action
from fanguai.core.actor import Actor, system_actor
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Conflict, InvalidInput


def report_case(
    session: Session,
    *,
    actor: Actor,
    child: Mapping[str, Any],
    guardian: Mapping[str, Any] | None,
    last_seen_place: str | None,
    last_seen_lat: float | None,
    last_seen_lng: float | None,
    last_seen_at: datetime,
    category: str,
    contact_phone: str | None = None,
    leader_public_id: str | None = None,
    now: datetime | None = None,
) -> MissingCase:
    """Open a case from a report taken by the police (not from a lead)."""
    now = now or utcnow()
    with action(session, actor, "cases.open", object_type="missing_case", priority="high") as act:
        leader = service.user_by_public_id(session, leader_public_id) if leader_public_id else None
        case = service.open_case(
            session,
            actor=actor,
            child=child,
            guardian=guardian,
            last_seen_place=last_seen_place,
            last_seen_lat=last_seen_lat,
            last_seen_lng=last_seen_lng,
            last_seen_at=last_seen_at,
            category=category,
            contact_phone=contact_phone,
            leader=leader,
            now=now,
        )
        act.object_id = case.public_id
        act.detail.update({"case_no": case.case_no, "category": category})
    return case


def _case(session: Session, actor: Actor, case_id: str) -> MissingCase:
    return service.get_case_for(session, actor=actor, public_id=case_id)


def assign_leader(session: Session, *, actor: Actor, case_id: str, user_id: str) -> MissingCase:
    """Name another case leader (a police head); the former one stays on the team."""
    with action(session, actor, "cases.leader", object_type="missing_case", object_id=case_id):
        actor.require("cases.close")
        case = _case(session, actor, case_id)
        if case.status != "open":
            raise Conflict("the case is closed")
        user = service.user_by_public_id(session, user_id)
        service.set_leader(session, case, user)
        service.event(session, case, "leader", f"专案组长：{user.display_name}", actor)
    return case


def add_member(session: Session, *, actor: Actor, case_id: str, user_id: str) -> MissingCase:
    """Put a police officer on the case team."""
    with action(session, actor, "cases.team", object_type="missing_case", object_id=case_id):
        actor.require("cases.manage")
        case = _case(session, actor, case_id)
        user = service.user_by_public_id(session, user_id)
        service.add_member(session, case, user)
        service.event(session, case, "team", f"加入专案组：{user.display_name}", actor)
    return case


def update_last_seen(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    place: str | None,
    lat: float | None,
    lng: float | None,
    description: str | None = None,
) -> MissingCase:
    """Correct the last-seen place or point (before the alert goes out: it fixes the content)."""
    with action(session, actor, "cases.update", object_type="missing_case", object_id=case_id):
        actor.require("cases.manage")
        case = _case(session, actor, case_id)
        if service.alert_of(session, case) is not None:
            raise Conflict("the alert is out: its place can no longer change")
        point = service.check_point(lat, lng)
        if point is not None:
            case.last_seen_lat, case.last_seen_lng = point
        if place is not None and place.strip():
            case.last_seen_place = place.strip()[:500]
        if description is not None and description.strip():
            case.description = service.check_child({"description": description})["description"]
        service.event(session, case, "updated", "更新最后出现地点", actor)
    return case


def add_photo(session: Session, *, actor: Actor, case_id: str, raw: bytes) -> CasePhoto:
    """Attach a photo of the child (checked and re-encoded first)."""
    clean = photos.clean_photo(raw)
    with action(
        session, actor, "cases.photo", object_type="missing_case", object_id=case_id
    ) as act:
        actor.require("cases.manage")
        case = _case(session, actor, case_id)
        photo = CasePhoto(
            public_id=new_public_id(),
            case_id=case.id,
            media_type=clean.media_type,
            width=clean.width,
            height=clean.height,
            sha256=clean.sha256,
        )
        photos.seal_photo(session, case, photo, clean.data)
        session.add(photo)
        session.flush()
        act.detail["photo"] = photo.public_id
        service.event(session, case, "photo", "上传照片", actor)
    return photo


def publish_alert(
    session: Session, *, actor: Actor, case_id: str, now: datetime | None = None
) -> Alert:
    """Publish the case's alert at once (the first ring for the time since disappearance)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "alerts.publish",
        object_type="missing_case",
        object_id=case_id,
        priority="high",
    ) as act:
        actor.require("alerts.publish")
        case = _case(session, actor, case_id)
        alert = alerting.publish(session, case=case, actor_name=actor.name, now=now)
        act.detail.update({"alert": alert.public_id, "radius_km": alert.radius_km})
        service.event(
            session, case, "published", f"发布预警，半径{alert.radius_km:g}公里", actor, now
        )
    return alert


def withdraw_alert(
    session: Session, *, actor: Actor, case_id: str, reason: str, now: datetime | None = None
) -> Alert:
    """Withdraw the alert (the case stays open until its leader signs off the closing)."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the alert is withdrawn", field="reason")
    with action(
        session,
        actor,
        "alerts.withdraw",
        object_type="missing_case",
        object_id=case_id,
        priority="high",
    ):
        actor.require("alerts.publish")
        case = _case(session, actor, case_id)
        alert = service.alert_of(session, case)
        if alert is None:
            raise Conflict("no alert was published for this case")
        alerting.withdraw(session, alert=alert, actor_name=actor.name, now=now)
        service.event(session, case, "withdrawn", f"撤回预警：{reason[:500]}", actor, now)
    return alert


def close_case(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    outcome: str | None,
    reason: str | None,
    now: datetime | None = None,
) -> MissingCase:
    """Close with an outcome and the leader's sign-off (an unsolved case is refused)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "cases.close",
        object_type="missing_case",
        object_id=case_id,
        detail={"outcome": outcome},
        priority="high",
    ):
        actor.require("cases.close")
        case = _case(session, actor, case_id)
        service.close(session, actor=actor, case=case, outcome=outcome, reason=reason, now=now)
    return case


def review_case(
    session: Session, *, actor: Actor, case_id: str, note: str, now: datetime | None = None
) -> MissingCase:
    """Record a review of an unsolved case."""
    now = now or utcnow()
    with action(session, actor, "cases.review", object_type="missing_case", object_id=case_id):
        actor.require("cases.manage")
        case = _case(session, actor, case_id)
        service.review(session, actor=actor, case=case, note=note, now=now)
    return case


def add_endpoint(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> AlertEndpoint:
    """Register a partner webhook, SMTP relay or SMS gateway."""
    with action(session, actor, "alerts.endpoint", object_type="alert_endpoint") as act:
        actor.require("subscribers.manage")
        endpoint = subscribers.add_endpoint(session, data)
        act.object_id = endpoint.public_id
        act.detail.update({"kind": endpoint.kind, "name": endpoint.name})
    return endpoint


def add_subscriber(
    session: Session, *, actor: Actor, data: Mapping[str, Any], now: datetime | None = None
) -> AlertSubscriber:
    """Register a subscriber (police unit, transport hub, volunteer, app user, partner); one
    inside an active alert's current ring gets its current stage at once."""
    now = now or utcnow()
    with action(session, actor, "alerts.subscribe", object_type="alert_subscriber") as act:
        actor.require("subscribers.manage")
        sub = subscribers.add_subscriber(session, data, actor=actor)
        act.object_id = sub.public_id
        act.detail.update({"kind": sub.kind, "channel": sub.channel})
        caught = dispatch.catch_up(session, sub, now)
        if caught:
            act.detail["caught_up"] = caught
    return sub


def deactivate_subscriber(
    session: Session, *, actor: Actor, subscriber_id: str, now: datetime | None = None
) -> AlertSubscriber:
    """Stop sending alerts to a subscriber (a volunteer's or app user's contact is erased
    after the retention period unless reactivated before)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "alerts.unsubscribe",
        object_type="alert_subscriber",
        object_id=subscriber_id,
    ):
        actor.require("subscribers.manage")
        return subscribers.deactivate(session, subscriber_id, now, actor=actor)


def reactivate_subscriber(
    session: Session, *, actor: Actor, subscriber_id: str, now: datetime | None = None
) -> AlertSubscriber:
    """Send alerts to a deactivated subscriber again (an active alert around them at once)."""
    now = now or utcnow()
    with action(
        session,
        actor,
        "alerts.resubscribe",
        object_type="alert_subscriber",
        object_id=subscriber_id,
    ) as act:
        actor.require("subscribers.manage")
        sub = subscribers.reactivate(session, subscriber_id, actor=actor)
        caught = dispatch.catch_up(session, sub, now)
        if caught:
            act.detail["caught_up"] = caught
    return sub


def opt_out(
    session: Session, *, actor: Actor, token: str, secret: str, now: datetime | None = None
) -> AlertSubscriber:
    """A volunteer's opt-out link (no login): no more alerts, the address deleted and its key
    shredded. Doing it again changes nothing and answers the same."""
    now = now or utcnow()
    with action(session, actor, "alerts.optout", object_type="alert_subscriber") as act:
        public_id = optout.read_token(secret, token, now)
        act.object_id = public_id
        sub = subscribers.get_subscriber(session, public_id)
        changed = subscribers.opt_out(session, sub, now)
        act.detail.update({"kind": sub.kind, "repeated": not changed})
    # Every time, not only the first: a crash between the commit and the shredding would
    # otherwise leave the key for good. Shredding is idempotent (a tombstone stays).
    if sub.opted_out_at is not None:
        subscribers.shred_address(public_id)
    return sub


def withdraw_app_token(
    session: Session,
    *,
    endpoint_id: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime | None = None,
) -> AlertSubscriber:
    """The app's push service withdraws a push token (a request signed with its endpoint's
    secret); the app user gets nothing more. Idempotent."""
    import json

    now = now or utcnow()
    endpoint = (
        session.execute(
            select(AlertEndpoint).where(
                AlertEndpoint.public_id == endpoint_id, AlertEndpoint.kind == "webhook"
            )
        )
        .scalars()
        .first()
    )
    actor = system_actor(f"endpoint:{endpoint.public_id}" if endpoint else "endpoint:unknown")
    with action(session, actor, "alerts.app_withdraw", object_type="alert_subscriber") as act:
        secret = subscribers.endpoint_secret(endpoint) if endpoint is not None else None
        optout.check_signed_request(secret, timestamp, signature, body, now)
        assert endpoint is not None
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("the body is not JSON", field="body") from None
        ref = data.get("ref") if isinstance(data, dict) else None
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 120:
            raise InvalidInput("ref: the push token (1 to 120 characters)", field="ref")
        # The same token may have been registered again after an earlier withdrawal: every
        # subscription still holding it is withdrawn, "repeated" only when none was left.
        matches = subscribers.app_users_by_ref(session, endpoint, ref.strip())
        withdrawn = [sub for sub in matches if subscribers.opt_out(session, sub, now)]
        sub = withdrawn[-1] if withdrawn else matches[-1]
        act.object_id = sub.public_id
        act.detail["repeated"] = not withdrawn
        if len(withdrawn) > 1:
            act.detail["subscribers"] = [s.public_id for s in withdrawn]
    return sub
