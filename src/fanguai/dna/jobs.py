"""Periodic work of the DNA store: relatives' profiles whose retention ended are shredded."""

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
