"""Figures of the identification module for the dashboard (issue 9), by SQL aggregation.

- ``counts_by_county_month``: found persons registered (来历不明人员登记数), by the county where
  they were found and the Beijing month of registration.
- ``identified_by_county_month``: found persons whose identity was confirmed, by county and the
  Beijing month of the confirmation.
- ``status_counts``: found persons by current status, province-wide (a snapshot).

Each groups on ``found_person``'s (county_code, month) index columns, written when the record
is registered or identified, so no date is computed per row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.identify.models import FoundPerson


def counts_by_county_month(
    session: Session, *, since: datetime | None = None
) -> list[tuple[str, str, int]]:
    """(county code, "YYYY-MM" Beijing time, found persons registered), oldest month first."""
    stmt = select(FoundPerson.county_code, FoundPerson.registered_month, func.count()).group_by(
        FoundPerson.county_code, FoundPerson.registered_month
    )
    if since is not None:
        stmt = stmt.where(FoundPerson.created_at >= since)
    rows = session.execute(
        stmt.order_by(FoundPerson.registered_month, FoundPerson.county_code)
    ).all()
    return [(county, month, int(n)) for county, month, n in rows]


def identified_by_county_month(
    session: Session, *, since: datetime | None = None
) -> list[tuple[str, str, int]]:
    """(county code, "YYYY-MM" Beijing time, identities confirmed), oldest month first."""
    stmt = (
        select(FoundPerson.county_code, FoundPerson.identified_month, func.count())
        .where(FoundPerson.identified_month.is_not(None))
        .group_by(FoundPerson.identified_month, FoundPerson.county_code)
    )
    if since is not None:
        stmt = stmt.where(FoundPerson.identified_at >= since)
    rows = session.execute(
        stmt.order_by(FoundPerson.identified_month, FoundPerson.county_code)
    ).all()
    return [(county, month, int(n)) for county, month, n in rows]


def status_counts(session: Session) -> dict[str, int]:
    """Found persons by current status (a snapshot at the time of the query)."""
    rows = session.execute(
        select(FoundPerson.status, func.count()).group_by(FoundPerson.status)
    ).all()
    return {status: int(n) for status, n in rows}
