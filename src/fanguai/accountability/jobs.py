"""The accountability module's periodic jobs."""

from __future__ import annotations

from datetime import datetime

from fanguai.accountability import actions, dashboard
from fanguai.db import Database
from fanguai.worker import job


@job("progress.escalate")
def escalate(db: Database, now: datetime) -> int:
    """Flag progress reports not filed by their cycle's deadline and tell the office."""
    return actions.escalate_overdue(db, now)


@job("dashboard.refresh")
def refresh(db: Database, now: datetime) -> int:
    """Fold the operational modules' monthly counts into the dashboard's rollup."""
    return dashboard.refresh_rollup(db, now)
