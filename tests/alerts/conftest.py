"""Helpers of the alerts tests: personas as actors, a clean subscriber table, a loopback sink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from fanguai.alerts import actions
from fanguai.alerts.models import Alert, AlertBatch, AlertEndpoint, AlertStage, AlertSubscriber
from fanguai.alerts.sink import LoopbackSink
from fanguai.alerts.subscribers import forget_indexes
from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.org.models import User
from fanguai.security.service import actor_for_user

SECRET = "test-webhook-secret-0123456789"
# 姑苏区 (Suzhou old town) and a point 150 km away (Nanjing's 玄武区).
GUSU = (31.3236, 120.6175)
NANJING = (32.0485, 118.7974)
T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # 10:00 Beijing time


def as_actor(session, username: str):  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


PROVINCE_HEAD = "jiangsu.chief"


def province_head(session):  # type: ignore[no-untyped-def]
    """A police head of the provincial department (created once): the demo has none, and only
    province-level staff manage subscribers anywhere in the province and partner platforms."""
    from fanguai.org.actions import create_user
    from fanguai.org.schemas import UserCreate

    user = session.execute(select(User).where(User.username == PROVINCE_HEAD)).scalar_one_or_none()
    if user is None:
        user = create_user(
            session,
            actor=cli_actor("tests"),
            data=UserCreate(
                username=PROVINCE_HEAD,
                display_name="省公安厅负责人",
                unit_code="320000-GA",
                password="province-head-password-0123",
                roles=["supervisor"],
            ),
        )
    return actor_for_user(user)


@pytest.fixture(autouse=True)
def _own_subscribers(session):  # type: ignore[no-untyped-def]
    """Each test starts with no active subscriber, endpoint or alert (the demo's are switched
    off, inside the test's rolled-back transaction)."""
    forget_indexes()
    with action(session, cli_actor("tests"), "test.reset_subscribers"):
        session.execute(update(AlertSubscriber).values(active=False, version=0))
        session.execute(update(AlertEndpoint).values(active=False))
        session.execute(update(Alert).values(status="withdrawn"))
        session.execute(update(AlertStage).values(status="cancelled"))
        session.execute(update(AlertBatch).values(status="cancelled"))
    yield
    forget_indexes()


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    with LoopbackSink(SECRET) as s:
        yield s


def add_webhook(session, url: str, name: str = "测试合作平台", batch_size: int = 50):  # type: ignore[no-untyped-def]
    return actions.add_endpoint(
        session,
        actor=as_actor(session, "gusu.chief"),
        data={
            "name": name,
            "kind": "webhook",
            "url": url,
            "secret": SECRET,
            "batch_size": batch_size,
        },
    )


def add_app_users(session, endpoint, points) -> list[str]:  # type: ignore[no-untyped-def]
    chief = province_head(session)  # the points lie anywhere
    out = []
    for i, (lat, lng) in enumerate(points):
        sub = actions.add_subscriber(
            session,
            actor=chief,
            data={
                "kind": "app_user",
                "channel": "webhook",
                "endpoint": endpoint.public_id,
                "external_ref": f"push-{i}",
                "lat": lat,
                "lng": lng,
            },
        )
        out.append(sub.public_id)
    return out


def report(session, username: str = "gusu.police", *, at=None, now=None, point=GUSU, **extra):  # type: ignore[no-untyped-def]
    now = now or T0
    return actions.report_case(
        session,
        actor=as_actor(session, username),
        child={"name": "测试童", "sex": "female", "age": 6, "description": "红色外套，扎马尾"},
        guardian={"name": "测试家长", "phone": "13900001111"},
        last_seen_place="观前街",
        last_seen_lat=point[0] if point else None,
        last_seen_lng=point[1] if point else None,
        last_seen_at=at or now - timedelta(minutes=20),
        category=extra.pop("category", "lost"),
        now=now,
        **extra,
    )
