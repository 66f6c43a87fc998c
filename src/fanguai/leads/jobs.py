"""Periodic work of the leads module (deadlines and escalation run in the shared tasks.sweep)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from fanguai.core.actions import action
from fanguai.core.actor import system_actor
from fanguai.db import Database
from fanguai.leads import abuse
from fanguai.leads.models import LeadIdempotency, RateBucket, SpentChallenge
from fanguai.worker import job


def _anything_expired(db: Database, now: datetime) -> bool:
    with db.session() as session:
        counts = [
            session.execute(
                select(func.count()).select_from(model).where(column <= now)
            ).scalar_one()
            for model, column in (
                (LeadIdempotency, LeadIdempotency.expires_at),
                (SpentChallenge, SpentChallenge.expires_at),
                (RateBucket, RateBucket.window_end),
            )
        ]
        session.rollback()
    return any(counts)


@job("leads.purge")
def purge(db: Database, now: datetime) -> int:
    """Forget expired idempotency keys, spent challenges and rate counters."""
    if not _anything_expired(db, now):
        return 0
    with db.session() as session:
        with action(session, system_actor("worker:leads"), "leads.purge") as act:
            keys = session.execute(delete(LeadIdempotency).where(LeadIdempotency.expires_at <= now))
            act.detail.update(abuse.purge_expired(session, now=now))
            act.detail["idempotency_keys"] = keys.rowcount or 0
    return sum(int(v) for v in act.detail.values())
