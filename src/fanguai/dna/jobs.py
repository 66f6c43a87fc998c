"""Periodic work of the DNA store: relatives' profiles whose retention ended are shredded;
unusual volumes of DNA reads raise an alert (R-DNA-5, ``access_alerts``)."""

from __future__ import annotations

from datetime import datetime

from fanguai.core.actor import system_actor
from fanguai.db import Database
from fanguai.worker import job


@job("dna.retention")
def shred_expired(db: Database, now: datetime) -> int:
    """R-DNA-8: crypto-shred every relative's profile past its retention date."""
    from fanguai.dna.service import expire_retention

    with db.session() as session:
        return expire_retention(session, actor=system_actor("dna.retention"), now=now)


@job("dna.access_alerts")
def access_alerts(db: Database, now: datetime) -> int:
    """R-DNA-5: an alert for each user whose DNA reads in an hour or a day exceed the limits."""
    from fanguai.dna.access_alerts import raise_alerts, thresholds
    from fanguai.settings import get_settings

    with db.session() as session:
        return len(raise_alerts(session, limits=thresholds(get_settings()), now=now))
