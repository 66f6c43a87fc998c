"""Shared helpers of the accountability tests: personas' actors, the demo's cycles and reports."""

from __future__ import annotations

from sqlalchemy import select

from fanguai.accountability.models import ProgressReport, ReportingCycle
from fanguai.core.actor import Actor
from fanguai.org.models import Unit, User
from fanguai.security.service import actor_for_user


def actor(session, username: str) -> Actor:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def unit(session, code: str) -> Unit:  # type: ignore[no-untyped-def]
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one()


def open_cycle(session) -> ReportingCycle:  # type: ignore[no-untyped-def]
    return session.execute(
        select(ReportingCycle).where(ReportingCycle.status == "open")
    ).scalar_one()


def closed_cycles(session) -> list[ReportingCycle]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(ReportingCycle)
            .where(ReportingCycle.status == "closed")
            .order_by(ReportingCycle.period_start)
        ).scalars()
    )


def report_of(session, cycle: ReportingCycle, unit_code: str, measure: str) -> ProgressReport:  # type: ignore[no-untyped-def]
    return session.execute(
        select(ProgressReport)
        .join(Unit, Unit.id == ProgressReport.unit_id)
        .where(
            ProgressReport.cycle_id == cycle.id,
            Unit.code == unit_code,
            ProgressReport.measure_code == measure,
        )
    ).scalar_one()
