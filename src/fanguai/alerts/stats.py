"""Figures for the dashboard (issue 9): cases opened by county and month, time to find.

``counts_by_county_month`` is one SQL aggregation over the indexed (county_code, opened_month)
pair of ``missing_case``; months are Beijing-time calendar months of the opening.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.alerts.models import MissingCase

BEIJING = ZoneInfo("Asia/Shanghai")


def counts_by_county_month(
    session: Session, *, since: datetime | None = None
) -> list[tuple[str, str, int]]:
    """(county code, "YYYY-MM" in Beijing time, cases opened), ordered by month and county."""
    query = select(MissingCase.county_code, MissingCase.opened_month, func.count()).group_by(
        MissingCase.county_code, MissingCase.opened_month
    )
    if since is not None:
        query = query.where(MissingCase.opened_month >= since.astimezone(BEIJING).strftime("%Y-%m"))
        query = query.where(MissingCase.opened_at >= since)
    rows = session.execute(query.order_by(MissingCase.opened_month, MissingCase.county_code)).all()
    return [(county, month, int(n)) for county, month, n in rows]


def median_hours_to_find(session: Session, *, since: datetime | None = None) -> float | None:
    """Median hours from disappearance to closing, over cases closed as found (alive or dead)
    since ``since`` (by closing time); None when there is none."""
    query = select(MissingCase.last_seen_at, MissingCase.closed_at).where(
        MissingCase.status == "closed", MissingCase.outcome.in_(("found_alive", "found_dead"))
    )
    if since is not None:
        query = query.where(MissingCase.closed_at >= since)
    hours = [
        (closed - seen).total_seconds() / 3600
        for seen, closed in session.execute(query).all()
        if closed is not None
    ]
    return statistics.median(hours) if hours else None
