"""Demo data of the leads module: registered institutions, a school's reporting account, and
leads across Suzhou and Nanjing in every state (waiting, acknowledged, transferred, closed,
overdue, quarantined, near-duplicates). All synthetic."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.core.actor import ANONYMOUS, Actor
from fanguai.db import utcnow
from fanguai.demo import DemoReport, register
from fanguai.leads import actions, institutions
from fanguai.leads.intake import Intake, submit, submit_report
from fanguai.leads.models import Institution, InstitutionMember, Lead
from fanguai.leads.schemas import ChildInput, LeadInput, ReporterInput, ReportInput
from fanguai.org.demo import Persona, ensure_personas
from fanguai.org.models import User
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import actor_for_user

SCHOOL = "苏州市姑苏区某小学"
INSTITUTIONS = (
    (SCHOOL, "school", "320508", "320508-JY"),
    ("苏州市姑苏区某医院", "hospital", "320508", "320508-WJ"),
    ("南京市玄武区某酒店", "hotel", "320102", "320102-GA"),
)
PERSONAS = (
    Persona(
        "gusu.school",
        "张老师",
        "320508-JY",
        ("mandatory_reporter",),
        "苏州市姑苏区某小学（强制报告责任人）",
    ),
)


@dataclass(frozen=True)
class DemoLead:
    """A demo lead: what it says, where, how long ago, and what happened to it since."""

    channel: str  # public | hotline
    lead_type: str
    county: str
    description: str
    hours_ago: float
    then: tuple[str, ...] = ()  # acknowledge | transfer:<unit> | outcome:<outcome>
    child: ChildInput | None = None
    place: str | None = None
    named: bool = False
    honeypot: bool = False
    photo: bool = False


GIRL = ChildInput(name="小雨", sex="female", age="约6岁", features="粉色外套，扎两个小辫")
BOY = ChildInput(sex="male", age="约10岁", features="蓝色校服，背黑色书包")

LEADS = (
    DemoLead(
        "public",
        "missing_now",
        "320508",
        "孩子在观前街商场门口走散，已找了半小时。",
        0.3,
        child=GIRL,
        place="姑苏区观前街某商场门口",
    ),
    DemoLead(
        "public",
        "trafficking",
        "320508",
        "一名男子带着一个哭闹的小男孩在火车站附近打听去外省的车，孩子一直喊不认识他。",
        2,
        child=BOY,
        place="苏州站北广场",
        named=True,
        photo=True,
    ),
    DemoLead(
        "public",
        "trafficking",
        "320508",
        "火车站附近一名男子带着哭闹的小男孩打听去外省的车，孩子喊不认识他。",
        1.5,
        then=("acknowledge",),
        child=BOY,
        place="苏州站北广场",
    ),
    DemoLead(
        "hotline",
        "illegal_adoption",
        "320506",
        "来电人称网上有人出价“转让”刚出生的婴儿。",
        5,
        then=("acknowledge",),
    ),
    DemoLead(
        "public",
        "forced_labour",
        "320506",
        "工地上有几个看起来不满十六岁的孩子在搬砖，工头不让他们离开。",
        30,
        then=("acknowledge", "outcome:substantiated"),
    ),
    DemoLead(
        "public",
        "wandering_minor",
        "320508",
        "地铁口有个十来岁的孩子连续几天独自乞讨，晚上睡在桥洞。",
        8,
    ),
    DemoLead(
        "hotline",
        "school_dropout",
        "320508",
        "邻居家13岁的孩子开学后一直没去上学，在家照看弟弟。",
        20,
        then=("acknowledge",),
    ),
    DemoLead(
        "public",
        "online",
        "320102",
        "某社交平台上有账号发布“收养孩子”信息，要求私下联系。",
        4,
    ),
    DemoLead(
        "hotline",
        "sexual_exploitation",
        "320102",
        "来电人反映某歌厅疑似有未成年女孩陪酒。",
        26,
        then=("acknowledge", "transfer:320102-FL"),
    ),
    DemoLead(
        "public",
        "forced_labour",
        "320505",
        "一家小作坊扣押了几个十四五岁孩子的证件，逼他们每天做工十几个小时。",
        50,
        then=("acknowledge", "transfer:320505-RS"),
    ),
    DemoLead(
        "public",
        "trafficking",
        "320506",
        "长途汽车站一名妇女抱着熟睡的婴儿，神色慌张，婴儿衣物与季节不符。",
        72,
    ),
    DemoLead(
        "public",
        "other",
        "320508",
        "买到便宜的演唱会门票，点击领取。",
        1,
        honeypot=True,
    ),
    DemoLead(
        "public",
        "missing_now",
        "320106",
        "鼓楼公园里一个约4岁的男孩独自哭泣，找不到家人。",
        200,
        then=("acknowledge", "outcome:unsubstantiated"),
        child=ChildInput(sex="male", age="约4岁"),
    ),
)


def _photo() -> bytes:
    """A synthetic photo (a drawn scene, no real person)."""
    image = Image.new("RGB", (640, 480), (196, 214, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 480), fill=(120, 120, 120))
    draw.rectangle((260, 180, 300, 330), fill=(40, 60, 120))
    draw.ellipse((262, 140, 298, 176), fill=(230, 200, 170))
    draw.rectangle((330, 240, 355, 330), fill=(30, 90, 200))
    draw.ellipse((330, 212, 356, 238), fill=(230, 200, 170))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _officer(session: Session, username: str) -> Actor:
    return actor_for_user(
        session.execute(select(User).where(User.username == username)).scalar_one()
    )


HANDLERS = {
    "320508": "gusu.police",
    "320506": "wuzhong.police",
    "320505": "suzhou.police",
    "320102": "nanjing.police",
    "320106": "nanjing.police",
}
CIVIL = {"wandering_minor": "gusu.civil", "school_dropout": "gusu.edu"}


def _follow_up(session: Session, lead_id: str, item: DemoLead, now) -> None:  # type: ignore[no-untyped-def]
    crypto = field_crypto()
    who = _officer(session, CIVIL.get(item.lead_type, HANDLERS[item.county]))
    at = now - timedelta(hours=item.hours_ago) + timedelta(minutes=40)
    for step in item.then:
        lead = session.execute(select(Lead).where(Lead.public_id == lead_id)).scalar_one()
        session.rollback()
        if step == "acknowledge":
            actions.acknowledge(
                session, crypto, actor=who, public_id=lead_id, version=lead.version, now=at
            )
        elif step.startswith("transfer:"):
            actions.transfer(
                session,
                crypto,
                actor=who,
                public_id=lead_id,
                version=lead.version,
                unit_code=step.split(":", 1)[1],
                reason="经核查属于该部门职责，移交办理。",
                now=at,
            )
        elif step.startswith("outcome:"):
            actions.record_outcome(
                session,
                crypto,
                actor=who,
                public_id=lead_id,
                version=lead.version,
                outcome=step.split(":", 1)[1],
                note="已核查处置。",
                now=at,
            )
        at += timedelta(hours=2)


def _load_leads(session: Session, report: DemoReport) -> None:
    crypto = field_crypto()
    now = utcnow()
    added = 0
    for item in LEADS:
        received = now - timedelta(hours=item.hours_ago)
        content = LeadInput(
            lead_type=item.lead_type,  # type: ignore[arg-type]
            description=item.description,
            child=item.child,
            county_code=item.county,
            place_text=item.place,
            reporter=ReporterInput(name="周先生", phone="13900000000") if item.named else None,
        )
        if item.channel == "public":
            door = Intake(ANONYMOUS, "public", "public", "named" if item.named else "anonymous")
        else:
            officer = _officer(session, HANDLERS[item.county])
            session.rollback()
            door = Intake(officer, "hotline", f"user:{officer.user_public_id}", "anonymous")
        result = submit(
            session,
            crypto,
            door,
            content,
            photos=[_photo()] if item.photo else [],
            idempotency_key=None,
            now=received,
            quarantine="honeypot" if item.honeypot else None,
        )
        _follow_up(session, result.lead_id or "", item, now)
        added += 1
    school = _officer(session, "gusu.school")
    session.rollback()
    submit_report(
        session,
        crypto,
        actor=school,
        data=ReportInput(
            category="abuse_neglect",
            description="学生多次带伤到校，称在家被打，衣着单薄，常常没有午饭钱。",
            child=ChildInput(sex="male", age="9岁"),
        ),
        photos=[],
        idempotency_key=None,
        now=now - timedelta(hours=6),
    )
    report.added["leads"] = added + 1


@register("leads.demo", order=40)
def load_leads(session: Session, actor: Actor, report: DemoReport) -> None:
    """Institutions, the school's reporting account and the demo leads (once)."""
    ensure_personas(session, actor, report, PERSONAS, key="leads.personas")
    have = {n for (n,) in session.execute(select(Institution.name))}
    session.rollback()
    for name, kind, county, unit in INSTITUTIONS:
        if name not in have:
            institutions.register_institution(
                session, actor=actor, name=name, kind=kind, county_code=county, unit_code=unit
            )
    if session.execute(select(func.count()).select_from(InstitutionMember)).scalar_one() == 0:
        session.rollback()
        institutions.add_member(
            session, actor=actor, username="gusu.school", institution_name=SCHOOL
        )
    if session.execute(select(func.count()).select_from(Lead)).scalar_one():
        session.rollback()
        report.added["leads"] = 0
        return
    session.rollback()
    _load_leads(session, report)
