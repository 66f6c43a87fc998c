"""R-DNA-5: unusual volumes of DNA reads raise one alert per user and window (frozen clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fanguai.audit import service as audit
from fanguai.audit.models import AuditEvent
from fanguai.dna.access_alerts import raise_alerts, window_start
from fanguai.dna.models import AccessAlert
from fanguai.outbox import OutboxMessage
from fanguai.tasks.models import Task
from fanguai.tasks.service import list_tasks
from fanguai.worker import jobs

T0 = datetime(2030, 3, 4, 2, 10, tzinfo=UTC)  # 10:10 in Beijing
HOURLY = {"hour": 5, "day": 1000}


def reads(session, actor, times, action="dna.profile.read") -> None:  # type: ignore[no-untyped-def]
    """DNA reads by ``actor`` at the given times, straight into the audit chain."""
    for at in times:
        audit.append(
            session,
            actor=actor,
            action=action,
            outcome="success",
            source="web",
            object_type="dna_specimen",
            object_id="00000000-0000-4000-8000-000000000000",
            detail={"view": "profile"},
            at=at,
        )
    session.commit()


def alert_events(session, user_public_id):  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "dna.access_alert", AuditEvent.object_id == user_public_id
            )
        ).scalars()
    )


def test_the_job_is_registered() -> None:
    assert "dna.access_alerts" in jobs()


def test_below_the_threshold_nothing_then_one_alert_once_then_a_new_one_next_hour(
    session, analyst, labchief, chief
) -> None:  # type: ignore[no-untyped-def]
    minutes = [T0 + timedelta(minutes=m) for m in range(5)]
    reads(session, analyst, minutes)
    assert raise_alerts(session, limits=HOURLY, now=T0 + timedelta(minutes=30)) == []
    assert alert_events(session, analyst.user_public_id) == []

    reads(session, analyst, [T0 + timedelta(minutes=20)], action="dna.reveal")  # the 6th read
    raised = raise_alerts(session, limits=HOURLY, now=T0 + timedelta(minutes=30))
    assert [(r.window, r.reads) for r in raised] == [("hour", 6)]
    (event,) = alert_events(session, analyst.user_public_id)
    assert event.priority == "high" and event.actor_kind == "system"
    assert event.detail["reads"] == 6 and event.detail["threshold"] == 5
    (task,) = session.execute(select(Task).where(Task.kind == "dna.access_review")).scalars()
    # assigned to a supervisor of the analyst's unit who approves reveals; on the lab chief's
    # tasks page either way
    assert task.subject_id == analyst.user_public_id
    assert task.assignee_id in (labchief.user_id, chief.user_id)
    assert task.owner_unit_id == analyst.unit_id and "6" in task.title
    assert task in list_tasks(session, actor=labchief)
    notices = session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "dna.access_alert")
    ).scalars()
    assert [n.payload["task"] for n in notices] and all(
        n.payload["user"] == analyst.user_public_id for n in notices
    )

    # a re-run, in the same hour or after it closed, raises nothing twice
    assert raise_alerts(session, limits=HOURLY, now=T0 + timedelta(minutes=45)) == []
    assert raise_alerts(session, limits=HOURLY, now=T0 + timedelta(minutes=65)) == []
    assert len(alert_events(session, analyst.user_public_id)) == 1

    # the next hour is a new window
    reads(session, analyst, [T0 + timedelta(hours=1, minutes=m) for m in range(6)])
    raised = raise_alerts(session, limits=HOURLY, now=T0 + timedelta(hours=1, minutes=30))
    assert [(r.window, r.reads) for r in raised] == [("hour", 6)]
    starts = session.execute(
        select(AccessAlert.window_start).where(AccessAlert.user_id == analyst.user_id)
    ).scalars()
    assert sorted(s.astimezone(UTC) for s in starts) == [
        window_start("hour", T0).astimezone(UTC),
        window_start("hour", T0 + timedelta(hours=1)).astimezone(UTC),
    ]


def test_the_day_is_the_beijing_day_and_other_users_are_counted_apart(
    session, analyst, labchief
) -> None:  # type: ignore[no-untyped-def]
    limits = {"hour": 1000, "day": 4}
    # 15:50 UTC is 23:50 in Beijing; 16:10 UTC is 00:10 the next Beijing day
    late = datetime(2030, 5, 6, 15, 50, tzinfo=UTC)
    reads(session, analyst, [late - timedelta(hours=h) for h in range(4)])
    reads(session, analyst, [late + timedelta(minutes=20 + m) for m in range(4)])
    reads(session, labchief, [late + timedelta(minutes=21 + m) for m in range(3)])
    assert raise_alerts(session, limits=limits, now=late + timedelta(minutes=40)) == []
    reads(session, analyst, [late + timedelta(minutes=30)])
    raised = raise_alerts(session, limits=limits, now=late + timedelta(minutes=40))
    assert [(r.user_id, r.window, r.reads) for r in raised] == [(analyst.user_id, "day", 5)]
    assert raised[0].window_start == datetime(2030, 5, 6, 16, 0, tzinfo=UTC)
    assert alert_events(session, labchief.user_public_id) == []


def test_a_worker_stopped_for_hours_still_raises_the_alert_of_a_past_hour(session, analyst) -> None:  # type: ignore[no-untyped-def]
    reads(session, analyst, [T0 + timedelta(minutes=m) for m in range(6)])
    # The worker comes back five hours later: the 10:00 hour is long closed.
    raised = raise_alerts(session, limits=HOURLY, now=T0 + timedelta(hours=5))
    assert [(r.window, r.reads) for r in raised] == [("hour", 6)]
    assert raised[0].window_start == window_start("hour", T0).astimezone(UTC)
    assert raise_alerts(session, limits=HOURLY, now=T0 + timedelta(hours=6)) == []
