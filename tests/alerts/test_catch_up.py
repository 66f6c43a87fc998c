"""A subscriber who registers (or is switched back on) inside an active alert's current ring
gets the current stage at once, exactly once, through the same batches and delivery rows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from fanguai.alerts import actions, dispatch, jobs
from fanguai.alerts.models import AlertBatch, AlertDelivery, AlertStage, AlertSubscriber
from tests.alerts.conftest import (
    GUSU,
    NANJING,
    T0,
    add_app_users,
    add_webhook,
    as_actor,
    province_head,
    report,
)


def _published(session, db):  # type: ignore[no-untyped-def]
    case = report(session)
    actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    session.commit()
    return case


def _add(session, endpoint, ref: str, point, now):  # type: ignore[no-untyped-def]
    return actions.add_subscriber(
        session,
        actor=province_head(session),  # the points lie anywhere
        data={
            "kind": "app_user",
            "channel": "webhook",
            "endpoint": endpoint.public_id,
            "external_ref": ref,
            "lat": point[0],
            "lng": point[1],
        },
        now=now,
    )


def _received(sink) -> Counter[str]:  # type: ignore[no-untyped-def]
    """subscriber -> stages received (each delivery key counted once, as the sink does)."""
    return Counter(key.rsplit(":", 1)[1] for key in sink.state.seen)


def test_a_late_subscriber_inside_the_ring_gets_the_current_stage_once(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    (early,) = add_app_users(session, endpoint, [GUSU])
    _published(session, db)
    dispatch.plan_pending(db, T0)
    dispatch.send_due(db, T0)
    assert _received(sink) == {early: 1}
    late = _add(session, endpoint, "late-inside", GUSU, T0 + timedelta(minutes=5))
    far = _add(session, endpoint, "late-outside", NANJING, T0 + timedelta(minutes=5))
    session.commit()
    for minute in (5, 6, 7):  # passes of the worker: planning finds nothing new, sending once
        now = T0 + timedelta(minutes=minute)
        dispatch.plan_pending(db, now)
        dispatch.send_due(db, now)
    assert _received(sink) == {early: 1, late.public_id: 1}
    assert max(sink.state.raw.values()) == 1  # no resend either
    # The widening to 200 km reaches Nanjing's subscriber, not the two inside 100 km again.
    jobs.widen_due(db, T0 + timedelta(hours=1, minutes=1))
    now = T0 + timedelta(hours=1, minutes=2)
    dispatch.plan_pending(db, now)
    dispatch.send_due(db, now)
    assert _received(sink) == {early: 1, late.public_id: 1, far.public_id: 1}
    stage = (
        session.execute(
            select(AlertStage).where(AlertStage.seq == 1).order_by(AlertStage.id.desc())
        )
        .scalars()
        .first()
    )
    assert stage.recipients == 2


def test_a_subscriber_added_while_the_stage_is_being_planned_is_planned_once(
    session, db, sink
) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    add_app_users(session, endpoint, [GUSU, GUSU])
    _published(session, db)  # the stage is still "planning"
    late = _add(session, endpoint, "during-planning", GUSU, T0)
    session.commit()
    dispatch.plan_pending(db, T0)
    deliveries = session.execute(
        select(func.count())
        .select_from(AlertDelivery)
        .join(AlertBatch, AlertBatch.id == AlertDelivery.batch_id)
        .where(AlertBatch.status == "pending")
    ).scalar_one()
    assert deliveries == 3
    sizes = session.execute(
        select(func.sum(AlertBatch.size)).where(AlertBatch.status == "pending")
    ).scalar_one()
    assert sizes == 3  # the planner did not count the late one a second time
    dispatch.send_due(db, T0)
    received = _received(sink)
    assert received[late.public_id] == 1 and sum(received.values()) == 3


def test_a_reactivated_subscriber_gets_the_current_stage_once(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    chief = as_actor(session, "gusu.chief")
    sub = _add(session, endpoint, "switched", GUSU, T0)
    actions.deactivate_subscriber(session, actor=chief, subscriber_id=sub.public_id)
    _published(session, db)
    dispatch.plan_pending(db, T0)
    dispatch.send_due(db, T0)
    assert _received(sink) == {}
    actions.reactivate_subscriber(
        session, actor=chief, subscriber_id=sub.public_id, now=T0 + timedelta(minutes=3)
    )
    actions.deactivate_subscriber(session, actor=chief, subscriber_id=sub.public_id)
    actions.reactivate_subscriber(
        session, actor=chief, subscriber_id=sub.public_id, now=T0 + timedelta(minutes=4)
    )
    session.commit()
    dispatch.plan_pending(db, T0 + timedelta(minutes=4))
    dispatch.send_due(db, T0 + timedelta(minutes=4))
    assert _received(sink) == {sub.public_id: 1}


def test_no_alert_no_catch_up(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    _add(session, endpoint, "quiet", GUSU, T0)
    session.commit()
    assert (
        session.execute(
            select(func.count())
            .select_from(AlertBatch)
            .where(AlertBatch.status.in_(("pending", "retry", "sending")))
        ).scalar_one()
        == 0
    )


def test_a_catch_up_racing_the_planner_is_counted_once(session, db, sink, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A subscriber caught up by another transaction after the planner's check and before its
    insert is skipped by ON CONFLICT: the stage's count and the batch sizes say what was
    written, not what was tried."""
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    ids = add_app_users(session, endpoint, [GUSU, GUSU, GUSU])
    _published(session, db)  # the stage is still "planning"
    racer = session.execute(
        select(AlertSubscriber).where(AlertSubscriber.public_id == ids[1])
    ).scalar_one()
    real_insert = dispatch._insert
    raced: list[int] = []

    def insert_after_a_catch_up(s):  # type: ignore[no-untyped-def]
        if not raced:  # the planner's insert: the catch-up commits its row just before it
            raced.append(1)
            assert dispatch.catch_up(s, s.merge(racer), T0) == 1
        return real_insert(s)

    monkeypatch.setattr(dispatch, "_insert", insert_after_a_catch_up)
    dispatch.plan_pending(db, T0)
    assert raced
    stage = (
        session.execute(
            select(AlertStage)
            .order_by(AlertStage.id.desc())
            .execution_options(populate_existing=True)
        )
        .scalars()
        .first()
    )
    assert stage.status == "planned" and stage.recipients == 3
    per_batch = dict(
        session.execute(
            select(AlertDelivery.batch_id, func.count())
            .where(AlertDelivery.stage_id == stage.id)
            .group_by(AlertDelivery.batch_id)
        ).all()
    )
    sizes = dict(
        session.execute(
            select(AlertBatch.id, AlertBatch.size).where(AlertBatch.stage_id == stage.id)
        ).all()
    )
    assert sizes == per_batch and sum(sizes.values()) == 3  # no empty or oversized batch
    dispatch.send_due(db, T0)
    assert _received(sink) == dict.fromkeys(ids, 1)
