"""The demo's eighteen months of closed leads: drawn the same way every time, real leads their
unit reads like any other, public ones kept to the hour, figures the dashboard can show, and
loaded once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from fanguai.accountability.catalogue import SUPPRESS_BELOW
from fanguai.audit.models import AuditEvent
from fanguai.core.actor import cli_actor
from fanguai.db import utcnow
from fanguai.demo import DemoReport
from fanguai.leads import catalogue, demo, service, stats
from fanguai.leads.models import Lead, LeadEvent
from fanguai.tasks.models import Task


def _closed(session) -> list[Lead]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(select(Lead).where(Lead.status == "closed").order_by(Lead.id)).scalars()
    )


def test_the_history_is_drawn_the_same_way_every_time_and_stays_clear_of_recent_leads() -> None:
    now = utcnow()
    drawn = demo.draw_history(now)
    assert drawn == demo.draw_history(now)
    oldest = now - timedelta(days=demo.HISTORY_DAYS + 1)
    newest = now - timedelta(hours=catalogue.DUPLICATE_WINDOW_HOURS)
    # Older than the near-duplicate window: a lead sent today is never linked to one of them.
    assert all(oldest <= item.received < newest for item in drawn)
    assert {item.channel for item in drawn} == {"public", "hotline"}
    assert {item.outcome for item in drawn} == {"substantiated", "unsubstantiated"}
    assert len({item.lead_type for item in drawn}) == len(demo.TYPE_WEIGHTS)
    assert len({item.county for item in drawn}) > 40


def test_the_demo_has_figures_to_show_for_many_counties(session) -> None:  # type: ignore[no-untyped-def]
    rows = stats.counts_by_county_month(session)
    totals: Counter[str] = Counter()
    for county, _month, n in rows:
        totals[county] += n
    assert sum(totals.values()) >= 600
    shown = {county for county, n in totals.items() if n >= SUPPRESS_BELOW}
    assert len(shown) >= 15 and {"320508", "320102", "320213"} <= shown
    assert sum(1 for _, _, n in rows if n >= SUPPRESS_BELOW) >= 2  # a county in one month
    acknowledged = stats.ack_by_county_month(session)
    total = sum(n for _, _, n, _, _ in acknowledged)
    in_time = sum(ok for _, _, _, _, ok in acknowledged)
    assert total >= 600 and 0.75 * total < in_time < total  # mostly in time, some late


def test_closed_leads_are_whole_and_consistent(session, field_crypto) -> None:  # type: ignore[no-untyped-def]
    leads = _closed(session)
    assert len(leads) >= 600
    transferred = _transferred(session)
    for lead in leads:
        arrived = lead.received_at or lead.received_hour
        assert lead.outcome in catalogue.OUTCOMES and lead.version == 3
        assert arrived <= lead.acknowledged_at <= lead.closed_at <= utcnow()
        assert lead.ack_in_time == (lead.acknowledged_at <= lead.ack_due_at)
        assert lead.ack_minutes == int((lead.acknowledged_at - arrived).total_seconds() // 60)
        assert lead.received_month == service.month_of(arrived)
        assert lead.owner_unit.division_code == lead.county_code
        assert (
            lead.owner_unit.department
            == catalogue.department_for(lead.lead_type, channel=lead.channel)
            or lead.tracking_code in transferred
        )
    for lead in leads[::45]:
        shown = service.detail(session, field_crypto, lead)
        assert shown.description and shown.status == "closed"
        kinds = [entry.kind for entry in shown.timeline]
        assert kinds[0] == "received" and kinds[-1] == "outcome" and "acknowledged" in kinds
    # Closed leads leave no deadline waiting.
    open_tasks = session.execute(
        select(func.count())
        .select_from(Task)
        .where(
            Task.subject_type == service.SUBJECT_TYPE,
            Task.status == "open",
            Task.subject_id.in_([lead.public_id for lead in leads]),
        )
    ).scalar_one()
    assert open_tasks == 0


def _transferred(session) -> set[str]:  # type: ignore[no-untyped-def]
    return set(
        session.execute(
            select(Lead.tracking_code).join(LeadEvent).where(LeadEvent.kind == "transferred")
        ).scalars()
    )


def test_public_leads_keep_their_arrival_to_the_hour_only(session) -> None:  # type: ignore[no-untyped-def]
    public = list(session.execute(select(Lead).where(Lead.channel == "public")).scalars())
    assert len(public) >= 300
    assert all(lead.received_at is None for lead in public)
    assert all(lead.received_hour == service.hour_of(lead.received_hour) for lead in public)
    received = session.execute(
        select(LeadEvent.at, Lead.received_hour)
        .join(Lead)
        .where(Lead.channel == "public", LeadEvent.kind == "received")
    ).all()
    assert len(received) == len(public) and all(at == hour for at, hour in received)


def test_a_history_lead_is_read_by_its_unit_and_no_other(login, session) -> None:  # type: ignore[no-untyped-def]
    gusu = login("gusu.police")
    listed = gusu.get("/api/leads", params={"status": "closed", "page_size": 100}).json()
    assert listed["total"] >= 30
    lead_id = listed["items"][0]["id"]
    shown = gusu.get(f"/api/leads/{lead_id}")
    assert shown.status_code == 200 and shown.json()["outcome"] in catalogue.OUTCOMES
    assert login("wuzhong.police").get(f"/api/leads/{lead_id}").status_code == 404
    # The inbox's default (open leads) is not filled with history.
    waiting = gusu.get("/api/leads").json()["items"]
    assert all(item["status"] in catalogue.OPEN_STATUSES for item in waiting)


def test_loading_the_demo_again_adds_no_history(session) -> None:  # type: ignore[no-untyped-def]
    before = session.execute(select(func.count()).select_from(Lead)).scalar_one()
    report = DemoReport()
    demo.load_history(session, cli_actor("tests"), report)
    assert report.added["leads.history"] == 0
    assert session.execute(select(func.count()).select_from(Lead)).scalar_one() == before
    loads = session.execute(
        select(AuditEvent).where(AuditEvent.action == demo.HISTORY_ACTION)
    ).scalars()
    assert [(e.outcome, e.detail["count"]) for e in loads] == [("success", demo.HISTORY_LEADS)]
