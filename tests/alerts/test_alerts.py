"""Alerts: rings widen with time since disappearance, the withdrawal reaches every recipient,
a ring leaving Jiangsu produces a hand-off, the public content holds no family data."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.alerts import actions, alerting, dispatch, jobs
from fanguai.alerts.models import Alert, AlertHandoff, AlertStage
from fanguai.errors import Conflict, Forbidden, InvalidInput
from fanguai.geo.service import EARTH_RADIUS_KM
from tests.alerts.conftest import (
    GUSU,
    T0,
    add_app_users,
    add_webhook,
    as_actor,
    province_head,
    report,
)


def destination(lat: float, lng: float, km: float, bearing_deg: float) -> tuple[float, float]:
    d, b = km / EARTH_RADIUS_KM, math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


# Distances west-north-west of the last-seen point (over land, in China).
RING_KM = [50, 60, 70, 150, 160, 250, 260, 400, 620]


def _pass(session, db, now) -> None:  # type: ignore[no-untyped-def]
    # The test's session must not hold a savepoint open across the worker's sessions (they share
    # one connection): a later rollback of it would undo the worker's work.
    session.commit()
    jobs.widen_due(db, now)
    dispatch.plan_pending(db, now)
    dispatch.send_due(db, now)


def _by_stage(sink) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[int, set[str]] = {}
    for key in sink.state.seen:
        _alert, seq, sub = key.split(":")
        out.setdefault(int(seq), set()).add(sub)
    return out


def test_rings_widen_at_one_two_and_three_hours_and_found_reaches_everyone(
    session, db, sink
) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook", batch_size=2)
    subs = add_app_users(session, endpoint, [destination(*GUSU, km, 290) for km in RING_KM])
    partner = actions.add_subscriber(
        session,
        actor=province_head(session),  # partners are the province's
        data={
            "kind": "partner",
            "channel": "webhook",
            "endpoint": endpoint.public_id,
            "label": "合作平台",
        },
    ).public_id
    case = report(session, at=T0 - timedelta(minutes=20), now=T0)
    alert = actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    assert alert.radius_km == 100
    _pass(session, db, T0)
    assert _by_stage(sink) == {1: set(subs[:3]) | {partner}}

    # Missing 61 minutes → 200 km; 121 → 300 km; 181 → 500 km.
    for minutes, radius, newcomers in (
        (41, 200, subs[3:5]),
        (101, 300, subs[5:7]),
        (161, 500, subs[7:8]),
    ):
        _pass(session, db, T0 + timedelta(minutes=minutes))
        session.refresh(alert)
        assert alert.radius_km == radius
        seq = max(_by_stage(sink))
        assert _by_stage(sink)[seq] == set(newcomers) | {partner}, f"ring {radius}"
    _pass(session, db, T0 + timedelta(hours=5))  # no ring beyond the last
    assert len(alerting.stages(session, alert)) == 4

    actions.close_case(
        session,
        actor=as_actor(session, "gusu.chief"),
        case_id=case.public_id,
        outcome="found_alive",
        reason="火车站找到",
    )
    _pass(session, db, T0 + timedelta(hours=5, minutes=1))
    stages = _by_stage(sink)
    assert stages[5] == set(subs[:8]) | {
        partner
    }  # every recipient who got the alert, not the 620 km one
    assert Counter(sink.state.raw.values()) == {1: len(sink.state.raw)}  # each exactly once
    found = [b for b in sink.state.bodies if b["stage"]["kind"] == "withdraw"]
    assert found and all(b["stage"]["status"] == "found" for b in found)
    status = dispatch.delivery_status(session, alert)
    assert {(r["stage"], r["channel"]) for r in status} == {(s, "webhook") for s in range(1, 6)}
    assert all(set(r["counts"]) == {"sent"} for r in status)


def test_a_ring_is_measured_from_the_disappearance_not_the_publication(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    case = report(session, at=T0 - timedelta(hours=2, minutes=30), now=T0)
    alert = actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    assert alert.radius_km == 300


def test_publishing_needs_the_permission_a_point_and_happens_once(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    with pytest.raises(Forbidden):
        actions.publish_alert(
            session, actor=as_actor(session, "gusu.police"), case_id=case.public_id, now=T0
        )
    no_point = report(session, point=None)
    with pytest.raises(InvalidInput) as err:
        actions.publish_alert(
            session, actor=as_actor(session, "gusu.chief"), case_id=no_point.public_id, now=T0
        )
    assert err.value.field == "last_seen_lat"
    actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    with pytest.raises(Conflict):
        actions.publish_alert(
            session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
        )


def test_the_public_content_carries_nothing_of_the_family(session) -> None:  # type: ignore[no-untyped-def]
    case = report(session)
    alert = actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    text = repr(alert.content)
    for private in ("测试家长", "13900001111", "测试童"):
        assert private not in text
    assert alert.content["name_hint"] == "测**"
    assert alert.content["contact_phone"] == "110"
    assert set(alert.content) == {
        "alert", "case_no", "name_hint", "sex", "age", "description", "last_seen_place",
        "last_seen_at", "lat", "lng", "contact_phone", "photo", "page",
    }  # fmt: skip


def test_a_ring_leaving_jiangsu_produces_a_handoff_for_the_neighbours(session) -> None:  # type: ignore[no-untyped-def]
    # Near the Shanghai border a 100 km ring leaves the province at once.
    case = report(session)
    alert = actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    stage = session.execute(select(AlertStage).where(AlertStage.alert_id == alert.id)).scalar_one()
    assert stage.leaves_jiangsu
    handoff = session.execute(
        select(AlertHandoff).where(AlertHandoff.alert_id == alert.id)
    ).scalar_one()
    assert handoff.package["format"] == "fanguai.alert-handoff/1"
    assert "310000" in handoff.provinces  # Shanghai
    assert handoff.package["ring"]["radius_km"] == 100
    assert "测试家长" not in repr(handoff.package)


def test_a_small_ring_inside_jiangsu_produces_no_handoff(session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts.config import AlertSettings

    case = report(session, point=(32.9, 119.8), now=T0)  # 泰州-盐城 area, far from the borders
    settings = AlertSettings(schedule="1:20,*:40")
    alert = (
        alerting.publish(session, case=case, actor_name="t", now=T0, settings=settings)
        if False
        else None
    )
    from fanguai.core.actions import action
    from fanguai.core.actor import cli_actor

    with action(session, cli_actor("tests"), "test.publish"):
        alert = alerting.publish(session, case=case, actor_name="t", now=T0, settings=settings)
    assert alert.radius_km == 20
    assert (
        session.execute(select(AlertHandoff).where(AlertHandoff.alert_id == alert.id)).first()
        is None
    )


def test_a_withdrawn_alert_stops_unsent_batches(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook", batch_size=1)
    add_app_users(session, endpoint, [destination(*GUSU, km, 290) for km in (10, 20, 30)])
    case = report(session)
    actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    session.commit()
    dispatch.plan_pending(db, T0)
    # One batch goes out, then the alert is withdrawn before the other two.
    due = dispatch.due_batches(session, T0, dispatch.alert_settings(), 1)
    session.rollback()
    from fanguai.alerts.transports import default_transports

    dispatch.send_batch(session, due[0][0], T0, default_transports())
    actions.withdraw_alert(
        session,
        actor=as_actor(session, "gusu.chief"),
        case_id=case.public_id,
        reason="误报",
        now=T0,
    )
    _pass(session, db, T0 + timedelta(minutes=1))
    stages = _by_stage(sink)
    assert len(stages[1]) == 1 and stages[2] == stages[1]
    alert = session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one()
    assert alert.status == "withdrawn"
