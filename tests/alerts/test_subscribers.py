"""Subscriber management pages: list with filters and counts (addresses masked), add with
errors beside the field, deactivate and reactivate (audited, and seen by the worker's index),
each narrowed to the subscribers whose county the actor's jurisdiction covers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from fanguai.alerts import actions
from fanguai.alerts.models import AlertSubscriber
from fanguai.alerts.spatial import Ring
from fanguai.alerts.subscribers import counts_by_kind, index_for, list_subscribers
from fanguai.audit.models import AuditEvent
from fanguai.errors import InvalidInput, NotFound
from fanguai.org.models import User
from tests.access import oracle
from tests.alerts.conftest import GUSU, NANJING, as_actor, province_head

WUZHONG = (31.26, 120.63)  # 吴中区, the county beside 姑苏区

VOLUNTEER = {
    "kind": "volunteer",
    "channel": "sms",
    "address": "13812345678",
    "lat": GUSU[0],
    "lng": GUSU[1],
}


def _sms_gateway(chief) -> None:  # type: ignore[no-untyped-def]
    r = chief.post(
        "/api/alerts/endpoints",
        json={
            "name": "测试短信网关",
            "kind": "sms_gateway",
            "url": "http://127.0.0.1:9/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    assert r.status_code == 201, r.text


def _audits(session, name: str) -> int:  # type: ignore[no-untyped-def]
    return session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == name)
    ).scalar_one()


def test_the_list_filters_counts_and_never_shows_an_address(login) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    _sms_gateway(chief)
    assert chief.post("/api/alerts/subscribers", json=VOLUNTEER).status_code == 201
    page = chief.get("/alerts/subscribers", params={"kind": "volunteer", "active": "yes"})
    assert page.status_code == 200
    assert "13812345678" not in page.text
    assert "138****5678" in page.text  # the stored hint: last four digits
    assert "共 1 个" in page.text and "志愿者" in page.text and "短信" in page.text
    assert 'href="/alerts/subscribers"' in page.text  # in the navigation
    # The demo's subscribers are switched off in these tests (conftest): "active" leaves them out.
    other = chief.get(
        "/alerts/subscribers", params={"kind": "volunteer", "channel": "email", "active": "yes"}
    )
    assert "共 0 个" in other.text and "5678" not in other.text
    county = chief.get(
        "/alerts/subscribers", params={"kind": "volunteer", "county": "320508", "active": "yes"}
    )
    assert "共 1 个" in county.text
    assert '<td title="320508">姑苏区</td>' in county.text  # the county by name, its code on hover
    assert chief.get("/alerts/subscribers", params={"kind": "starship"}).status_code == 422


def test_the_page_is_for_those_who_manage_subscribers(login) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    assert police.get("/alerts/subscribers").status_code == 403
    assert police.get("/alerts/subscribers/new").status_code == 403


def test_adding_outside_china_keeps_the_form_and_names_the_field_in_chinese(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    _sms_gateway(chief)
    before = session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one()
    r = chief.post(
        "/alerts/subscribers/new",
        data={**VOLUNTEER, "lat": "48.85", "lng": "2.35", "label": "巴黎志愿者"},
    )
    assert r.status_code == 422
    assert 'data-field="lat"' in r.text and "位置不正确" in r.text
    assert 'value="巴黎志愿者"' in r.text and 'value="48.85"' in r.text
    r = chief.post("/alerts/subscribers/new", data={**VOLUNTEER, "address": "12"})
    assert r.status_code == 422 and 'data-field="address"' in r.text
    r = chief.post("/alerts/subscribers/new", data={**VOLUNTEER, "lat": "north"})
    assert r.status_code == 422 and 'data-field="lat"' in r.text
    after = session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one()
    assert after == before  # nothing half-written
    r = chief.post("/alerts/subscribers/new", data=VOLUNTEER, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/alerts/subscribers"


def test_the_api_names_the_subscribers_point_when_it_lies_outside_china(login) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    _sms_gateway(chief)
    r = chief.post("/api/alerts/subscribers", json={**VOLUNTEER, "lat": 35.68, "lng": 139.69})
    assert r.status_code == 422 and r.json()["field"] == "lat"
    assert "outside China" in r.json()["message"]


def test_deactivate_and_reactivate_are_audited_and_reach_the_index(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    _sms_gateway(chief)
    sub_id = chief.post("/api/alerts/subscribers", json=VOLUNTEER).json()["id"]
    sid = session.execute(
        select(AlertSubscriber.id).where(AlertSubscriber.public_id == sub_id)
    ).scalar_one()
    ring = Ring(GUSU[0], GUSU[1], 10.0)
    assert sid in index_for(session).audience(ring).ids.tolist()
    off = _audits(session, "alerts.unsubscribe")
    r = chief.post(f"/alerts/subscribers/{sub_id}/deactivate", follow_redirects=False)
    assert r.status_code == 303
    assert _audits(session, "alerts.unsubscribe") == off + 1
    assert sid not in index_for(session).audience(ring).ids.tolist()
    # Twice: a conflict, not a second change.
    assert chief.post(f"/alerts/subscribers/{sub_id}/deactivate").status_code == 409
    on = _audits(session, "alerts.resubscribe")
    r = chief.post(f"/alerts/subscribers/{sub_id}/reactivate", follow_redirects=False)
    assert r.status_code == 303
    assert _audits(session, "alerts.resubscribe") == on + 1
    assert sid in index_for(session).audience(ring).ids.tolist()
    assert chief.post(f"/alerts/subscribers/{sub_id}/reactivate").status_code == 409


def test_an_unknown_subscriber_answers_404(login) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert chief.post(f"/alerts/subscribers/{unknown}/deactivate").status_code == 404
    assert chief.post(f"/alerts/subscribers/{unknown}/reactivate").status_code == 404


def test_a_deactivated_volunteers_address_is_erased_after_the_retention_period(
    session, db, sink
) -> None:  # type: ignore[no-untyped-def]
    """Kept 12 months after a staff deactivation (reactivation possible), then erased by the
    job ``alerts.retention`` (audited, key shredded); hubs keep their business address."""
    import pytest

    from fanguai.alerts import actions, jobs
    from fanguai.alerts.subscribers import subscriber_address
    from fanguai.crypto.fields import SubjectShredded
    from fanguai.errors import Conflict
    from tests.alerts.conftest import T0, add_app_users, add_webhook, as_actor

    chief = as_actor(session, "gusu.chief")
    actions.add_endpoint(
        session,
        actor=chief,
        data={
            "name": "保留期短信网关",
            "kind": "sms_gateway",
            "url": "http://127.0.0.1:9/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    volunteer = actions.add_subscriber(session, actor=chief, data=VOLUNTEER, now=T0)
    hub = actions.add_subscriber(
        session,
        actor=chief,
        data={
            **VOLUNTEER,
            "kind": "transport_hub",
            "hub_type": "railway",
            "address": "051255550000",
        },
        now=T0,
    )
    (app_user,) = add_app_users(session, add_webhook(session, f"{sink.url}/webhook"), [GUSU])
    sealed = volunteer.address
    for sub_id in (volunteer.public_id, hub.public_id, app_user):
        actions.deactivate_subscriber(session, actor=chief, subscriber_id=sub_id, now=T0)
    session.commit()
    # Within the period (11 months): nothing erased. Only rows deactivated 12 months before a
    # run are erased, so the demo's subscribers (switched off by the fixture, their clock
    # started by this first run) are not touched by the second run below.
    assert jobs.retention(db, T0.replace(year=2027, month=4)) == 0
    assert subscriber_address(volunteer.public_id, sealed) == "13812345678"
    after = T0.replace(year=2027, day=5)  # 12 months and a day
    assert jobs.retention(db, after) == 2
    rows = {
        s.public_id: s
        for s in session.execute(
            select(AlertSubscriber)
            .where(AlertSubscriber.public_id.in_((volunteer.public_id, hub.public_id, app_user)))
            .execution_options(populate_existing=True)
        ).scalars()
    }
    gone = rows[volunteer.public_id]
    assert gone.erased_at == after and gone.address is None and gone.address_hint is None
    assert gone.lat is None and gone.county_code is not None  # statistics keep the county
    with pytest.raises(SubjectShredded):  # copies in backups unreadable too
        subscriber_address(volunteer.public_id, sealed)
    assert rows[app_user].external_ref.startswith("x:")
    assert rows[hub.public_id].address is not None and rows[hub.public_id].erased_at is None
    audit = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "alerts.retention")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert set(audit.detail["erased"]) == {volunteer.public_id, app_user}
    with pytest.raises(Conflict):
        actions.reactivate_subscriber(session, actor=chief, subscriber_id=volunteer.public_id)
    assert jobs.retention(db, after) == 0  # idempotent


def test_reactivation_stops_the_retention_clock_and_old_deactivations_get_one(session, db) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts import actions, jobs
    from fanguai.core.actions import action
    from fanguai.core.actor import cli_actor
    from tests.alerts.conftest import T0, as_actor

    chief = as_actor(session, "gusu.chief")
    actions.add_endpoint(
        session,
        actor=chief,
        data={
            "name": "保留期短信网关",
            "kind": "sms_gateway",
            "url": "http://127.0.0.1:9/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    sub = actions.add_subscriber(session, actor=chief, data=VOLUNTEER, now=T0)
    actions.deactivate_subscriber(session, actor=chief, subscriber_id=sub.public_id, now=T0)
    actions.reactivate_subscriber(session, actor=chief, subscriber_id=sub.public_id, now=T0)
    assert sub.deactivated_at is None
    old = actions.add_subscriber(session, actor=chief, data=VOLUNTEER, now=T0)
    with action(session, cli_actor("tests"), "test.deactivated_before_0016"):
        old.active = False  # switched off before the clock was kept: no deactivated_at
    session.commit()
    assert jobs.retention(db, T0) == 0
    stamped = session.get(AlertSubscriber, old.id, populate_existing=True)
    assert stamped.deactivated_at == T0 and stamped.address is not None  # the clock starts
    assert session.get(AlertSubscriber, sub.id, populate_existing=True).erased_at is None


def test_months_before_is_calendar_months() -> None:
    from datetime import UTC, datetime

    from fanguai.alerts.subscribers import months_before

    assert months_before(datetime(2027, 3, 31, 5, tzinfo=UTC), 1) == datetime(
        2027, 2, 28, 5, tzinfo=UTC
    )
    assert months_before(datetime(2027, 1, 15, tzinfo=UTC), 12) == datetime(2026, 1, 15, tzinfo=UTC)
    assert months_before(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(2027, 2, 28, tzinfo=UTC)


# ---------------------------------------------------------------- scope


def _add_around(session, chief) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Active volunteers in 姑苏区, 吴中区 and 玄武区 and a partner platform, added by a
    province-level head (the only one who may add them all); label -> public id."""
    _sms_gateway(chief)
    head = province_head(session)
    actions.add_endpoint(
        session,
        actor=head,
        data={
            "name": "范围测试平台",
            "kind": "webhook",
            "url": "https://partner.example.cn/hook",
            "secret": "scope-test-secret-0123456789",
        },
    )
    out = {}
    for label, (lat, lng), phone in (
        ("gusu", GUSU, "13811110508"),
        ("wuzhong", WUZHONG, "13811110506"),
        ("xuanwu", NANJING, "13811110102"),
    ):
        data = {**VOLUNTEER, "address": phone, "lat": lat, "lng": lng, "label": label}
        out[label] = actions.add_subscriber(session, actor=head, data=data).public_id
    out["partner"] = actions.add_subscriber(
        session,
        actor=head,
        data={"kind": "partner", "channel": "webhook", "label": "范围测试合作平台"},
    ).public_id
    return out


def test_a_county_head_lists_counts_and_switches_off_only_its_own_county(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    subs = _add_around(session, chief)
    page = chief.get("/alerts/subscribers", params={"active": "yes"})
    assert page.status_code == 200
    assert "共 1 个" in page.text and "138****0508" in page.text
    for other in ("wuzhong", "xuanwu", "partner"):
        assert subs[other] not in page.text
    assert "138****0506" not in page.text
    assert "共 0 个" in chief.get("/alerts/subscribers", params={"county": "320506"}).text
    counts = chief.get("/api/alerts/subscribers").json()["subscribers"]
    assert counts == [{"kind": "volunteer", "channel": "sms", "count": 1}]  # no partner
    # Outside the jurisdiction: not found, on both switches, and nothing changes.
    for other in ("wuzhong", "xuanwu", "partner"):
        r = chief.post(f"/alerts/subscribers/{subs[other]}/deactivate", follow_redirects=False)
        assert r.status_code == 404 and subs[other] not in r.text
    actions.deactivate_subscriber(
        session, actor=province_head(session), subscriber_id=subs["wuzhong"]
    )
    assert chief.post(f"/alerts/subscribers/{subs['wuzhong']}/reactivate").status_code == 404
    active = dict(
        session.execute(
            select(AlertSubscriber.public_id, AlertSubscriber.active).where(
                AlertSubscriber.public_id.in_(subs.values())
            )
        ).all()
    )
    assert active == {
        subs["gusu"]: True,
        subs["wuzhong"]: False,
        subs["xuanwu"]: True,
        subs["partner"]: True,
    }
    r = chief.post(f"/alerts/subscribers/{subs['gusu']}/deactivate", follow_redirects=False)
    assert r.status_code == 303
    # The city head covers both counties of Suzhou, not Nanjing nor the partner.
    city = login("suzhou.police")
    assert city.get("/api/alerts/subscribers").json()["subscribers"] == []  # none active
    listed = city.get("/alerts/subscribers", params={"kind": "volunteer", "channel": "sms"})
    assert subs["gusu"] in listed.text and subs["wuzhong"] in listed.text
    assert subs["xuanwu"] not in listed.text and subs["partner"] not in listed.text
    r = city.post(f"/alerts/subscribers/{subs['wuzhong']}/reactivate", follow_redirects=False)
    assert r.status_code == 303
    assert city.get("/api/alerts/subscribers").json()["subscribers"] == [
        {"kind": "volunteer", "channel": "sms", "count": 1}
    ]


def test_adding_outside_the_jurisdiction_is_refused_naming_the_point(login, session) -> None:  # type: ignore[no-untyped-def]
    chief = login("gusu.chief")
    _sms_gateway(chief)
    before = session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one()
    r = chief.post("/api/alerts/subscribers", json={**VOLUNTEER, "lat": 31.26, "lng": 120.63})
    assert r.status_code == 422 and r.json()["field"] == "lat"
    assert "county 320506" in r.json()["message"]
    assert "outside your jurisdiction" in r.json()["message"]
    r = chief.post(
        "/alerts/subscribers/new",
        data={**VOLUNTEER, "lat": "31.26", "lng": "120.63", "label": "吴中志愿者"},
    )
    assert r.status_code == 422
    assert 'data-field="lat"' in r.text and "不在您的辖区内" in r.text
    assert 'value="吴中志愿者"' in r.text
    # A partner platform (no point) needs an active webhook: the fields are checked first.
    actions.add_endpoint(
        session,
        actor=province_head(session),
        data={
            "name": "范围测试平台",
            "kind": "webhook",
            "url": "https://partner.example.cn/hook",
            "secret": "scope-test-secret-0123456789",
        },
    )
    r = chief.post("/alerts/subscribers/new", data={"kind": "partner", "channel": "webhook"})
    assert r.status_code == 422
    assert 'data-field="kind"' in r.text and "由省级单位管理" in r.text
    r = chief.post("/api/alerts/subscribers", json={"kind": "partner", "channel": "webhook"})
    assert r.status_code == 422 and r.json()["field"] == "kind"
    after = session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one()
    assert after == before  # nothing half-written
    # Inside the jurisdiction it is added.
    assert chief.post("/api/alerts/subscribers", json=VOLUNTEER).status_code == 201


def test_a_province_head_manages_every_subscriber_and_the_partners(login, session) -> None:  # type: ignore[no-untyped-def]
    subs = _add_around(session, login("gusu.chief"))
    head = province_head(session)
    rows, total = list_subscribers(session, actor=head, active=True)
    assert {s.public_id for s in rows} == set(subs.values()) and total == 4
    assert counts_by_kind(session, head) == {("volunteer", "sms"): 3, ("partner", "webhook"): 1}
    for sub_id in subs.values():
        actions.deactivate_subscriber(session, actor=head, subscriber_id=sub_id)
        actions.reactivate_subscriber(session, actor=head, subscriber_id=sub_id)
    # A point outside Jiangsu (Shanghai) has no county: the province's too.
    outside = actions.add_subscriber(
        session, actor=head, data={**VOLUNTEER, "lat": 31.23, "lng": 121.47}
    )
    assert outside.county_code is None
    gusu = as_actor(session, "gusu.chief")
    with pytest.raises(NotFound):
        actions.deactivate_subscriber(session, actor=gusu, subscriber_id=outside.public_id)
    with pytest.raises(InvalidInput) as err:
        actions.add_subscriber(session, actor=gusu, data={**VOLUNTEER, "lat": 31.23, "lng": 121.47})
    assert err.value.field == "lat" and "outside Jiangsu" in err.value.message


@pytest.mark.parametrize("persona", ["gusu.chief", "suzhou.police", "nanjing.chief"])
def test_lists_and_counts_hold_exactly_the_subscribers_the_policy_oracle_puts_in_scope(
    persona, login, session
) -> None:  # type: ignore[no-untyped-def]
    """Against tests/access/oracle.py: a subscriber's division is its county, or the province
    (320000) when it has none. The demo's subscribers are in the table too (switched off)."""
    client = login(persona)
    subs = _add_around(session, client)
    user = session.execute(select(User).where(User.username == persona)).scalar_one()
    who = oracle.Who(
        persona,
        frozenset(r.code for r in user.roles),
        user.unit.division_code,
        user.unit.level,
        user.unit.department,
    )
    everyone = session.execute(
        select(AlertSubscriber.public_id, AlertSubscriber.county_code, AlertSubscriber.active)
    ).all()
    expected = {p for p, county, _ in everyone if oracle.inside(who, county or "320000")}
    assert expected  # each persona has some
    assert subs["partner"] not in expected
    page = client.get("/alerts/subscribers")
    assert f"共 {len(expected)} 个" in page.text
    shown = set(re.findall(r'data-subscriber="([0-9a-f-]{36})"', page.text))
    assert shown <= expected and len(shown) == min(len(expected), 50)
    active = sum(1 for p, _, on in everyone if on and p in expected)
    counts = client.get("/api/alerts/subscribers").json()["subscribers"]
    assert sum(c["count"] for c in counts) == active
    for sub_id in set(subs.values()) - expected:
        assert client.post(f"/alerts/subscribers/{sub_id}/deactivate").status_code == 404
