"""Alert stages: publication, widening with time, withdrawal, and the hand-off beyond Jiangsu.

Each function runs inside the caller's action. A stage only records what goes out and to which
ring; ``fanguai.alerts.dispatch`` plans its recipients from the spatial index and sends it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from fanguai.alerts import regions
from fanguai.alerts.config import AlertSettings, alert_settings, radius_for
from fanguai.alerts.models import Alert, AlertBatch, AlertHandoff, AlertStage, CasePhoto
from fanguai.db import new_public_id
from fanguai.errors import Conflict, InvalidInput
from fanguai.outbox import enqueue

if TYPE_CHECKING:
    from fanguai.alerts.models import MissingCase

BEIJING = ZoneInfo("Asia/Shanghai")
HANDOFF_FORMAT = "fanguai.alert-handoff/1"
NATIONAL_PLATFORM = "公安部儿童失踪信息紧急发布平台（团圆）"


def latest_photo(session: Session, case: MissingCase) -> CasePhoto | None:
    """The newest photo of the child."""
    return (
        session.execute(
            select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id.desc())
        )
        .scalars()
        .first()
    )


def public_content(session: Session, case: MissingCase, alert_public_id: str) -> dict[str, Any]:
    """What a finder needs and nothing of the family: the child as seen, where and when, whom
    to call. The name is masked to its first character."""
    from fanguai.alerts.service import masked_child_name

    photo = latest_photo(session, case)
    return {
        "alert": alert_public_id,
        "case_no": case.case_no,
        "name_hint": masked_child_name(case, session),
        "sex": case.child_sex,
        "age": case.child_age,
        "description": case.description,
        "last_seen_place": case.last_seen_place,
        "last_seen_at": case.last_seen_at.isoformat(),
        "lat": case.last_seen_lat,
        "lng": case.last_seen_lng,
        "contact_phone": case.contact_phone,
        "photo": f"/public/alerts/{alert_public_id}/photo" if photo else None,
        "page": f"/public/alerts/{alert_public_id}",
    }


def _new_stage(
    session: Session, alert: Alert, kind: str, inner_km: float, radius_km: float, now: datetime
) -> AlertStage:
    seq = session.execute(
        select(func.coalesce(func.max(AlertStage.seq), 0)).where(AlertStage.alert_id == alert.id)
    ).scalar_one()
    stage = AlertStage(
        alert_id=alert.id,
        seq=seq + 1,
        kind=kind,
        inner_km=inner_km,
        radius_km=radius_km,
        created_at=now,
        status="planning",
    )
    stage.alert = alert
    if kind != "withdraw":
        stage.leaves_jiangsu = regions.leaves_jiangsu(alert.lat, alert.lng, radius_km)
    session.add(stage)
    session.flush()
    if stage.leaves_jiangsu:
        _handoff(session, alert, stage, now)
    return stage


def publish(
    session: Session,
    *,
    case: MissingCase,
    actor_name: str,
    now: datetime,
    settings: AlertSettings | None = None,
) -> Alert:
    """Publish the case's alert: the ring for the time since disappearance goes out first."""
    settings = settings or alert_settings()
    if case.status != "open":
        raise Conflict("the case is closed")
    if session.execute(select(Alert.id).where(Alert.case_id == case.id)).first():
        raise Conflict("this case's alert was already published")
    if case.last_seen_lat is None or case.last_seen_lng is None:
        raise InvalidInput(
            "set the last-seen point on the map before publishing", field="last_seen_lat"
        )
    if case.last_seen_at > now:
        raise InvalidInput("the last-seen time is in the future", field="last_seen_at")
    public_id = new_public_id()
    radius = radius_for(settings.rings, now - case.last_seen_at)
    alert = Alert(
        public_id=public_id,
        case_id=case.id,
        status="active",
        lat=case.last_seen_lat,
        lng=case.last_seen_lng,
        started_at=case.last_seen_at,
        radius_km=radius,
        content=public_content(session, case, public_id),
        published_at=now,
        published_by=actor_name,
    )
    session.add(alert)
    session.flush()
    _new_stage(session, alert, "publish", 0.0, radius, now)
    enqueue(
        session,
        kind="alert.published",
        unit_id=case.owner_unit_id,
        payload={"alert": alert.public_id, "case_no": case.case_no, "radius_km": radius},
    )
    return alert


def widen(
    session: Session, *, alert: Alert, now: datetime, settings: AlertSettings | None = None
) -> AlertStage | None:
    """Widen an active alert to the ring its time since disappearance calls for (or not)."""
    settings = settings or alert_settings()
    if alert.status != "active":
        return None
    radius = radius_for(settings.rings, now - alert.started_at)
    if radius <= alert.radius_km:
        return None
    stage = _new_stage(session, alert, "widen", alert.radius_km, radius, now)
    alert.radius_km = radius
    return stage


def withdraw(session: Session, *, alert: Alert, actor_name: str, now: datetime) -> AlertStage:
    """Withdraw: nothing more of the alert goes out, and "found" goes to every recipient who
    may have got it (its stages' batches that were sent or tried)."""
    if alert.status != "active":
        raise Conflict("the alert is already withdrawn")
    alert.status = "withdrawn"
    alert.withdrawn_at = now
    stages = select(AlertStage.id).where(AlertStage.alert_id == alert.id)
    # Batches never tried are dropped; a batch being sent right now finishes, and its
    # recipients get the withdrawal too (the claim is a conditional update, see dispatch).
    session.execute(
        update(AlertBatch)
        .where(AlertBatch.stage_id.in_(stages), AlertBatch.status.in_(("pending", "retry")))
        .values(status="cancelled", last_error="alert withdrawn")
    )
    session.execute(
        update(AlertStage)
        .where(AlertStage.alert_id == alert.id, AlertStage.status == "planning")
        .values(status="cancelled")
    )
    stage = _new_stage(session, alert, "withdraw", 0.0, alert.radius_km, now)
    enqueue(
        session,
        kind="alert.withdrawn",
        unit_id=alert.case.owner_unit_id,
        payload={"alert": alert.public_id, "case_no": alert.case.case_no, "by": actor_name},
    )
    return stage


def _handoff(session: Session, alert: Alert, stage: AlertStage, now: datetime) -> AlertHandoff:
    reached = regions.provinces_reached(alert.lat, alert.lng, stage.radius_km)
    photo = latest_photo(session, alert.case)
    package = {
        "format": HANDOFF_FORMAT,
        "produced_at": now.isoformat(),
        "from": {"province": "320000", "name": "江苏省", "system": "fanguai"},
        "to": {
            "provinces": [
                {"code": p.code, "name": p.name, "cities_in_ring": list(p.cities)} for p in reached
            ],
            "national_platform": NATIONAL_PLATFORM,
        },
        "alert": {
            **alert.content,
            "status": alert.status,
            "published_at": alert.published_at.isoformat(),
        },
        "ring": {
            "center": {"lat": alert.lat, "lng": alert.lng},
            "radius_km": stage.radius_km,
            "stage": stage.seq,
            "measured_from": alert.started_at.isoformat(),
        },
        # The photo itself is not copied here (it is stored encrypted): the download adds it
        # (``handoff_package``).
        "photo": (
            {"media_type": photo.media_type, "sha256": photo.sha256, "ref": photo.public_id}
            if photo
            else None
        ),
    }
    handoff = AlertHandoff(
        alert_id=alert.id,
        stage_id=stage.id,
        created_at=now,
        provinces=[p.code for p in reached],
        package=package,
    )
    session.add(handoff)
    enqueue(
        session,
        kind="alert.handoff",
        unit_id=alert.case.owner_unit_id,
        payload={"alert": alert.public_id, "provinces": [p.name for p in reached]},
    )
    return handoff


def stages(session: Session, alert: Alert) -> list[AlertStage]:
    """The alert's stages in order."""
    return list(
        session.execute(
            select(AlertStage).where(AlertStage.alert_id == alert.id).order_by(AlertStage.seq)
        ).scalars()
    )


def handoffs(session: Session, alert: Alert) -> list[AlertHandoff]:
    """The alert's hand-off packages, oldest first."""
    return list(
        session.execute(
            select(AlertHandoff).where(AlertHandoff.alert_id == alert.id).order_by(AlertHandoff.id)
        ).scalars()
    )


def handoff_package(session: Session, handoff: AlertHandoff) -> dict[str, Any]:
    """The package as it is handed over: the stored one with the photo decrypted into it."""
    from fanguai.alerts.photos import photo_bytes

    package = dict(handoff.package)
    stored = package.get("photo")
    if stored:
        photo = session.execute(
            select(CasePhoto).where(CasePhoto.public_id == stored.get("ref"))
        ).scalar_one_or_none()
        data = photo_bytes(session, photo) if photo is not None else None
        package["photo"] = (
            {
                "media_type": stored["media_type"],
                "sha256": stored["sha256"],
                "base64": base64.b64encode(data).decode("ascii"),
            }
            if data is not None
            else None
        )
    return package


def legacy_handoff() -> ColumnElement[bool]:
    """Hand-off packages stored before migration 0016, which embed the photo in clear
    (``photo.base64``; the key appears nowhere else in the format, and a quote inside a text
    value is escaped, so no free text can match)."""
    return cast(AlertHandoff.package, Text).like('%"base64"%')


def strip_legacy_handoffs(
    session: Session, *, after: int = 0, limit: int = 50
) -> tuple[int | None, int]:
    """Replace the clear photo of up to ``limit`` legacy packages (ids above ``after``) by the
    reference the current format stores, inside the caller's action; the download still
    carries the photo (decrypted from the case's photo with the same hash). A package whose
    photo no longer exists (erased child) keeps none. Returns the cursor for the next call
    (None when done) and how many packages were converted."""
    rows = (
        session.execute(
            select(AlertHandoff)
            .where(AlertHandoff.id > after, legacy_handoff())
            .order_by(AlertHandoff.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    converted = 0
    for handoff in rows:
        package = dict(handoff.package)
        stored = package.get("photo")
        if not isinstance(stored, dict) or "base64" not in stored:
            continue
        photo = (
            session.execute(
                select(CasePhoto)
                .join(Alert, Alert.case_id == CasePhoto.case_id)
                .where(Alert.id == handoff.alert_id, CasePhoto.sha256 == stored.get("sha256"))
                .order_by(CasePhoto.id.desc())
            )
            .scalars()
            .first()
        )
        package["photo"] = (
            {"media_type": stored.get("media_type"), "sha256": photo.sha256, "ref": photo.public_id}
            if photo is not None
            else None
        )
        handoff.package = package  # a new dict: the JSON column is written
        converted += 1
    session.flush()
    return (rows[-1].id if len(rows) == limit else None), converted
