"""Figures of the leads module for the dashboard (issue 9) and the monthly summary.

Every function aggregates in SQL over indexed columns (``county_code``, ``received_month``) and
leaves quarantined leads (bot-like submissions) out. Months are Beijing-time calendar months of
the lead's arrival. Scope is the caller's business: pass ``counties`` to restrict to a set of
county codes.

- ``counts_by_county_month``: leads received, per county and month.
- ``ack_by_county_month``: acknowledged leads, their mean minutes from arrival to the first
  acknowledgement, and how many met their deadline, per county and month.
- ``counts_by(column)``: leads received in one month, per channel, type or county.
- ``monthly_summary``: the summary page's figures for one month.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fanguai.leads.models import Lead
from fanguai.leads.service import month_of

GROUPS = {"channel": Lead.channel, "lead_type": Lead.lead_type, "county": Lead.county_code}


def _base(since: datetime | None, counties: Collection[str] | None):  # type: ignore[no-untyped-def]
    clauses = [Lead.status != "quarantined"]
    if since is not None:
        clauses.append(Lead.received_month >= month_of(since))
    if counties is not None:
        clauses.append(Lead.county_code.in_(list(counties)))
    return clauses


def counts_by_county_month(
    session: Session,
    *,
    since: datetime | None = None,
    counties: Collection[str] | None = None,
) -> list[tuple[str, str, int]]:
    """(county code, "YYYY-MM", leads received) for each county and month with any."""
    rows = session.execute(
        select(Lead.county_code, Lead.received_month, func.count(Lead.id))
        .where(*_base(since, counties))
        .group_by(Lead.county_code, Lead.received_month)
        .order_by(Lead.county_code, Lead.received_month)
    ).all()
    return [(county, month, int(n)) for county, month, n in rows]


def ack_by_county_month(
    session: Session,
    *,
    since: datetime | None = None,
    counties: Collection[str] | None = None,
) -> list[tuple[str, str, int, float | None, int]]:
    """(county, month, acknowledged, mean minutes to acknowledgement, within the deadline)."""
    in_time = func.sum(case((Lead.ack_in_time.is_(True), 1), else_=0))
    rows = session.execute(
        select(
            Lead.county_code,
            Lead.received_month,
            func.count(Lead.ack_minutes),
            func.avg(Lead.ack_minutes),
            in_time,
        )
        .where(*_base(since, counties), Lead.ack_minutes.is_not(None))
        .group_by(Lead.county_code, Lead.received_month)
        .order_by(Lead.county_code, Lead.received_month)
    ).all()
    return [
        (county, month, int(n), float(mean) if mean is not None else None, int(ok or 0))
        for county, month, n, mean, ok in rows
    ]


def counts_by(
    session: Session, column: str, *, month: str, counties: Collection[str] | None = None
) -> list[tuple[str, int]]:
    """(value, leads received in ``month``) grouped by ``channel``, ``lead_type`` or ``county``."""
    group = GROUPS[column]
    rows = session.execute(
        select(group, func.count(Lead.id))
        .where(*_base(None, counties), Lead.received_month == month)
        .group_by(group)
        .order_by(func.count(Lead.id).desc(), group)
    ).all()
    return [(value, int(n)) for value, n in rows]


def ack_minutes_in(
    session: Session, *, month: str, counties: Collection[str] | None = None
) -> list[tuple[str, int, bool]]:
    """(urgency, minutes to the first acknowledgement, met the deadline) of a month's leads."""
    rows = session.execute(
        select(Lead.urgency, Lead.ack_minutes, Lead.ack_in_time).where(
            *_base(None, counties), Lead.received_month == month, Lead.ack_minutes.is_not(None)
        )
    ).all()
    return [(urgency, int(minutes), bool(ok)) for urgency, minutes, ok in rows]


def monthly_summary(
    session: Session, *, month: str, counties: Collection[str] | None = None
) -> dict[str, Any]:
    """One month's leads by channel, type and county, and per urgency the time to the first
    acknowledgement (count, median minutes, within the deadline)."""
    acks = ack_minutes_in(session, month=month, counties=counties)
    by_urgency: dict[str, dict[str, Any]] = {}
    for urgency in ("urgent", "normal"):
        minutes = [m for u, m, _ in acks if u == urgency]
        by_urgency[urgency] = {
            "acknowledged": len(minutes),
            "median_minutes": statistics.median(minutes) if minutes else None,
            "within_deadline": sum(1 for u, _, ok in acks if u == urgency and ok),
        }
    return {
        "month": month,
        "by_channel": dict(counts_by(session, "channel", month=month, counties=counties)),
        "by_type": dict(counts_by(session, "lead_type", month=month, counties=counties)),
        "by_county": dict(counts_by(session, "county", month=month, counties=counties)),
        "acknowledgement": by_urgency,
    }
