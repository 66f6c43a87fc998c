"""Periodic jobs of the alerts module: widen the rings, then plan and send the stages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from fanguai.alerts import alerting, dispatch, photos, subscribers
from fanguai.alerts.config import alert_settings, radius_for
from fanguai.alerts.models import Alert, AlertHandoff, CasePhoto
from fanguai.core.actions import action
from fanguai.db import Database
from fanguai.worker import job


def widen_due(db: Database, now: datetime) -> int:
    """Widen every active alert whose time since disappearance calls for a wider ring."""
    settings = alert_settings()
    widened = 0
    with db.session() as session:
        due = [
            alert_id
            for alert_id, started, radius in session.execute(
                select(Alert.id, Alert.started_at, Alert.radius_km).where(Alert.status == "active")
            ).all()
            if radius_for(settings.rings, now - started) > radius
        ]
        session.rollback()
        for alert_id in due:
            with action(session, dispatch.WORKER, "alerts.widen", object_type="alert") as act:
                alert = session.get(Alert, alert_id, populate_existing=True)
                assert alert is not None
                act.object_id = alert.public_id
                stage = alerting.widen(session, alert=alert, now=now, settings=settings)
                if stage is not None:
                    widened += 1
                    act.detail.update({"radius_km": stage.radius_km, "stage": stage.seq})
    return widened


@job("alerts.ring")
def ring(db: Database, now: datetime) -> int:
    """Widen the rings (100 km → 200 → 300 → 500 by default) as time since disappearance grows."""
    return widen_due(db, now)


@job("alerts.send")
def send(db: Database, now: datetime) -> int:
    """Plan the new stages' recipients, then send the due batches."""
    planned = dispatch.plan_pending(db, now)
    return planned + dispatch.send_due(db, now)


def encrypt_legacy_photos(db: Database, *, decrypt: bool = False, chunk: int = 200) -> int:
    """Encrypt the photos stored in clear before migration 0016 (``decrypt``: the reverse, only
    before a downgrade), one audited action per chunk; returns how many. Idempotent."""
    step = photos.decrypt_back if decrypt else photos.encrypt_legacy
    name = "alerts.photos.decrypt" if decrypt else "alerts.photos.encrypt"
    done = 0
    with db.session() as session:
        # Hand-off packages made before 0016 embed the photo in clear: first point them at the
        # case's photo (matched by hash), which the loop below then seals or deletes.
        after: int | None = 0
        while not decrypt and after is not None:
            with action(
                session, dispatch.WORKER, "alerts.handoffs.strip", object_type="alert_handoff"
            ) as act:
                after, n = alerting.strip_legacy_handoffs(session, after=after, limit=chunk)
                act.detail["handoffs"] = n
            done += n
        while True:
            with action(session, dispatch.WORKER, name, object_type="missing_case_photo") as act:
                n = step(session, limit=chunk)
                act.detail["photos"] = n
            done += n
            if n < chunk:
                return done


@job("alerts.photos")
def encrypt_photos(db: Database, now: datetime) -> int:
    """Encrypt photos left in clear by an upgrade from before 0016 (nothing to do afterwards)."""
    with db.session() as session:
        left = session.execute(
            select(func.count())
            .select_from(CasePhoto)
            .where(CasePhoto.content.is_(None), CasePhoto.data.is_not(None))
        ).scalar_one()
        left += session.execute(
            select(func.count()).select_from(AlertHandoff).where(alerting.legacy_handoff())
        ).scalar_one()
    return encrypt_legacy_photos(db) if left else 0


RETENTION_CHUNK = 200


@job("alerts.retention")
def retention(db: Database, now: datetime) -> int:
    """Erase the address or push token of volunteers and app users deactivated by staff more
    than ``FANGUAI_ALERTS_INACTIVE_RETENTION_MONTHS`` ago (one audited action per chunk)."""
    months = alert_settings().inactive_retention_months
    erased = 0
    with db.session() as session:
        if not subscribers.retention_due(session, now, months):
            return 0
        session.rollback()
        while True:
            with action(
                session, dispatch.WORKER, "alerts.retention", object_type="alert_subscriber"
            ) as act:
                done = subscribers.erase_inactive(session, now, months, limit=RETENTION_CHUNK)
                act.detail.update({"months": months, "erased": done})
            erased += len(done)
            if len(done) < RETENTION_CHUNK:
                return erased
