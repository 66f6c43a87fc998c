"""The tasks module's periodic job."""

from __future__ import annotations

from datetime import datetime

from fanguai.db import Database
from fanguai.tasks import service
from fanguai.worker import job


@job("tasks.sweep")
def sweep(db: Database, now: datetime) -> int:
    """Send due reminders and escalate overdue tasks to the unit above."""
    return service.sweep(db, now)
