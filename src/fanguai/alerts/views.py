"""Read models shared by the JSON API and the pages: what a case and its alert look like."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fanguai.alerts import alerting, dispatch, regions, service
from fanguai.alerts.models import MissingCase


def case_summary(session: Session, case: MissingCase) -> dict[str, Any]:
    """A case in a list (the child's name masked)."""
    alert = service.alert_of(session, case)
    return {
        "id": case.public_id,
        "case_no": case.case_no,
        "status": case.status,
        "category": case.category,
        "county_code": case.county_code,
        "child_name": service.masked_child_name(case, session),
        "sex": case.child_sex,
        "age": case.child_age,
        "last_seen_place": case.last_seen_place,
        "last_seen_at": case.last_seen_at.isoformat(),
        "opened_at": case.opened_at.isoformat(),
        "leader": case.leader.display_name,
        "owner_unit": case.owner_unit.name,
        "alert": None
        if alert is None
        else {"id": alert.public_id, "status": alert.status, "radius_km": alert.radius_km},
        "outcome": case.outcome,
    }


def alert_detail(session: Session, case: MissingCase) -> dict[str, Any] | None:
    """The alert with its stages, current ring outline, delivery status and hand-offs."""
    alert = service.alert_of(session, case)
    if alert is None:
        return None
    return {
        "id": alert.public_id,
        "status": alert.status,
        "radius_km": alert.radius_km,
        "published_at": alert.published_at.isoformat(),
        "withdrawn_at": alert.withdrawn_at.isoformat() if alert.withdrawn_at else None,
        "center": {"lat": alert.lat, "lng": alert.lng},
        "ring": regions.circle_lnglat(alert.lat, alert.lng, alert.radius_km),
        "stages": [
            {
                "seq": s.seq,
                "kind": s.kind,
                "inner_km": s.inner_km,
                "radius_km": s.radius_km,
                "created_at": s.created_at.isoformat(),
                "status": s.status,
                "recipients": s.recipients,
                "leaves_jiangsu": s.leaves_jiangsu,
            }
            for s in alerting.stages(session, alert)
        ],
        "delivery": dispatch.delivery_status(session, alert),
        "handoffs": [
            {"id": h.public_id, "created_at": h.created_at.isoformat(), "provinces": h.provinces}
            for h in alerting.handoffs(session, alert)
        ],
        "content": alert.content,
    }


def case_detail(session: Session, case: MissingCase) -> dict[str, Any]:
    """One case: summary, team, duties, timeline, photos, alert."""
    from fanguai.alerts.models import CasePhoto
    from fanguai.tasks.service import tasks_for_subject

    photos = session.query(CasePhoto.public_id).filter(CasePhoto.case_id == case.id).all()
    return {
        **case_summary(session, case),
        "description": case.description,
        "last_seen": {"lat": case.last_seen_lat, "lng": case.last_seen_lng},
        "contact_phone": case.contact_phone,
        "outcome_reason": case.outcome_reason,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "team": [
            {"user": m.user.display_name, "unit": m.user.unit.name, "role": m.role}
            for m in service.team(session, case)
        ],
        "duties": [
            {"kind": t.kind, "title": t.title, "status": t.status, "due_at": t.due_at.isoformat()}
            for t in tasks_for_subject(session, service.SUBJECT_TYPE, case.public_id)
        ],
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "note": e.note, "by": e.actor_name}
            for e in service.timeline(session, case)
        ],
        "photos": [p[0] for p in photos],
        "alert_detail": alert_detail(session, case),
    }
