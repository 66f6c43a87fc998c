"""Periodic work of the retention module: the schedule's purge (SECURITY.md I1)."""

from __future__ import annotations

from datetime import datetime

from fanguai.core.actor import system_actor
from fanguai.db import Database
from fanguai.settings import get_settings
from fanguai.worker import job


@job("retention.purge")
def purge(db: Database, now: datetime) -> int:
    """Anonymise every record whose retention ended and that no legal hold protects."""
    from fanguai.retention.purge import run

    with db.session() as session:
        report = run(
            session, actor=system_actor("retention.purge"), settings=get_settings(), now=now
        )
    if report.failed:
        raise RuntimeError(
            f"{len(report.failed)} record(s) not purged (retried next run): "
            + ", ".join(f"{k} ({v})" for k, v in sorted(report.failed.items()))
        )
    return report.count
