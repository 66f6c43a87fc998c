"""Periodic jobs of the alerts module: widen the rings, then plan and send the stages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from fanguai.alerts import alerting, dispatch
from fanguai.alerts.config import alert_settings, radius_for
from fanguai.alerts.models import Alert
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
