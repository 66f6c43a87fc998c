"""Demo data of the missing-child cases and alerts module.

Endpoints on this machine (``fanguai alerts sink`` answers the webhook and SMS gateway on port
8765), police units, transport hubs, volunteers and app users across the province, a partner
platform, an open case in 姑苏区 whose alert is out, and a solved case in 玄武区.
"""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.alerts import actions
from fanguai.alerts.models import AlertEndpoint
from fanguai.alerts.population import sample_points
from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.demo import DemoReport, register
from fanguai.errors import InvalidInput
from fanguai.geo.service import get_division
from fanguai.org.demo import Persona, ensure_personas
from fanguai.org.models import Unit, User
from fanguai.security.service import actor_for_user

PERSONAS = (
    Persona(
        "nanjing.chief", "钱勇", "320100-GA", ("supervisor",), "南京市公安局负责人（专案组长）"
    ),
)
DEMO_SINK = "http://127.0.0.1:8765"
# Real transport hubs of the province (approximate coordinates).
HUBS = (
    ("南京南站", "railway", 31.969, 118.797),
    ("南京站", "railway", 32.089, 118.797),
    ("苏州站", "railway", 31.330, 120.610),
    ("苏州北站", "railway", 31.419, 120.640),
    ("无锡站", "railway", 31.588, 120.305),
    ("常州站", "railway", 31.786, 119.973),
    ("徐州东站", "railway", 34.283, 117.268),
    ("南通西站", "railway", 32.084, 120.737),
    ("扬州东站", "railway", 32.374, 119.487),
    ("苏州汽车北站", "bus", 31.332, 120.615),
    ("南京长途汽车东站", "bus", 32.080, 118.840),
    ("南京禄口国际机场", "airport", 31.742, 118.862),
    ("苏南硕放国际机场", "airport", 31.494, 120.429),
    ("连云港港", "port", 34.744, 119.455),
    ("太仓港", "port", 31.620, 121.210),
    ("沪宁高速苏州新区收费站", "toll", 31.360, 120.520),
    ("京沪高速淮安收费站", "toll", 33.560, 119.080),
)
APP_USERS = 300
VOLUNTEERS = 40


@register("alerts.demo", order=60)
def load_alerts(session: Session, actor: Actor, report: DemoReport) -> None:
    """Endpoints, subscribers and two cases (once)."""
    ensure_personas(session, actor, report, PERSONAS, key="alerts.personas")
    if session.execute(select(func.count()).select_from(AlertEndpoint)).scalar_one():
        report.added["alerts"] = 0
        return
    session.rollback()
    endpoints = _endpoints(session, actor)
    added = _subscribers(session, actor, endpoints)
    _cases(session)
    report.added["alert_subscribers"] = added
    report.added["missing_cases"] = 2


def _endpoints(session: Session, actor: Actor) -> dict[str, AlertEndpoint]:
    specs = (
        ("webhook", "演示合作平台（本机）", f"{DEMO_SINK}/webhook", None),
        ("sms_gateway", "演示短信网关（本机）", f"{DEMO_SINK}/sms", None),
        ("smtp", "演示邮件中继（本机）", "smtp://127.0.0.1:8025", "alerts@demo.fanguai.cn"),
    )
    from fanguai.alerts import subscribers

    out = {}
    with action(session, actor, "alerts.demo_endpoints", object_type="alert_endpoint"):
        for kind, name, url, sender in specs:
            out[kind] = subscribers.add_endpoint(
                session,
                {
                    "name": name,
                    "kind": kind,
                    "url": url,
                    "secret": None if kind == "smtp" else "demo-secret-not-for-production",
                    "sender": sender,
                    "batch_size": 100,
                },
            )
    return out


def _subscribers(session: Session, actor: Actor, endpoints: dict[str, AlertEndpoint]) -> int:
    from fanguai.alerts import subscribers

    police = session.execute(
        select(Unit).where(Unit.department == "police").order_by(Unit.code)
    ).scalars()
    rows: list[dict] = []
    for unit in police:
        division = get_division(unit.division_code)
        rows.append(
            {
                "kind": "police_unit",
                "channel": "internal",
                "unit_code": unit.code,
                "lat": division.lat,
                "lng": division.lng,
            }
        )
    for name, hub_type, lat, lng in HUBS:
        rows.append(
            {
                "kind": "transport_hub",
                "hub_type": hub_type,
                "label": name,
                "channel": "webhook",
                "endpoint": endpoints["webhook"].public_id,
                "external_ref": f"hub:{name}",
                "lat": lat,
                "lng": lng,
            }
        )
    lat, lng = sample_points(APP_USERS + VOLUNTEERS, seed=7)
    for i in range(APP_USERS):
        rows.append(
            {
                "kind": "app_user",
                "channel": "webhook",
                "endpoint": endpoints["webhook"].public_id,
                "external_ref": f"demo-push-{i:04d}",
                "lat": float(lat[i]),
                "lng": float(lng[i]),
            }
        )
    for j in range(VOLUNTEERS):
        i = APP_USERS + j
        sms = j % 2 == 0
        rows.append(
            {
                "kind": "volunteer",
                "channel": "sms" if sms else "email",
                "address": f"1390000{j:04d}" if sms else f"volunteer{j}@demo.fanguai.cn",
                "lat": float(lat[i]),
                "lng": float(lng[i]),
            }
        )
    rows.append(
        {
            "kind": "partner",
            "channel": "webhook",
            "label": "演示合作平台",
            "endpoint": endpoints["webhook"].public_id,
        }
    )
    added = 0
    with action(session, actor, "alerts.demo_subscribers", object_type="alert_subscriber") as act:
        for row in rows:
            try:
                subscribers.add_subscriber(session, row)
            except InvalidInput:
                continue  # a synthetic point that fell outside China (in the sea)
            added += 1
        act.detail["added"] = added
    return added


def demo_photo(colour: tuple[int, int, int]) -> bytes:
    """A drawn figure standing in for a child's photo (demo data holds no real faces)."""
    image = Image.new("RGB", (240, 300), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((85, 30, 155, 100), fill=(245, 210, 180))
    draw.rectangle((70, 105, 170, 230), fill=colour)
    draw.rectangle((85, 230, 115, 290), fill=(60, 60, 90))
    draw.rectangle((125, 230, 155, 290), fill=(60, 60, 90))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _user_actor(session: Session, username: str) -> Actor:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def _cases(session: Session) -> None:
    now = utcnow()
    gusu = actions.report_case(
        session,
        actor=_user_actor(session, "gusu.police"),
        child={
            "name": "林小雨",
            "sex": "female",
            "age": 6,
            "description": "身高约115厘米，扎马尾，穿红色外套、白色运动鞋",
        },
        guardian={"name": "林国华", "phone": "13700001234"},
        last_seen_place="姑苏区观前街玄妙观门口",
        last_seen_lat=31.3106,
        last_seen_lng=120.6265,
        last_seen_at=now - timedelta(minutes=35),
        category="lost",
        contact_phone="0512-110",
        now=now,
    )
    actions.add_photo(
        session,
        actor=_user_actor(session, "gusu.police"),
        case_id=gusu.public_id,
        raw=demo_photo((200, 40, 40)),
    )
    actions.publish_alert(
        session, actor=_user_actor(session, "gusu.chief"), case_id=gusu.public_id, now=now
    )
    nanjing = actions.report_case(
        session,
        actor=_user_actor(session, "nanjing.police"),
        child={
            "name": "周子轩",
            "sex": "male",
            "age": 14,
            "description": "身高约165厘米，黑色双肩包，校服",
        },
        guardian={"name": "周建军", "phone": "13700005678"},
        last_seen_place="玄武区新街口地铁站",
        last_seen_lat=32.0418,
        last_seen_lng=118.7840,
        last_seen_at=now - timedelta(days=3),
        category="runaway",
        now=now - timedelta(days=3) + timedelta(minutes=40),
    )
    actions.close_case(
        session,
        actor=_user_actor(session, "nanjing.chief"),
        case_id=nanjing.public_id,
        outcome="found_alive",
        reason="在同学家中找到，已交监护人",
        now=now - timedelta(days=2),
    )
