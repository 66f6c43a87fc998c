"""Demo data of the leads module: registered institutions, a school's reporting account, and
leads across Suzhou and Nanjing in every state (waiting, acknowledged, transferred, closed,
overdue, quarantined, near-duplicates); then eighteen months of closed leads across the province,
so that the dashboard and the monthly summary have figures to show. All synthetic."""

from __future__ import annotations

import io
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fanguai import geo
from fanguai.audit.models import AuditEvent
from fanguai.core.actions import action
from fanguai.core.actor import ANONYMOUS, Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.demo import DemoReport, register
from fanguai.leads import actions, catalogue, institutions, routing, service
from fanguai.leads.intake import Intake, submit, submit_report
from fanguai.leads.models import Institution, InstitutionMember, Lead, LeadEvent
from fanguai.leads.schemas import ChildInput, LeadInput, ReporterInput, ReportInput
from fanguai.org.demo import Persona, ensure_personas
from fanguai.org.models import Unit, User
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


# --- history: eighteen months of closed leads -------------------------------------------------
#
# Drawn from a seeded generator, so every load holds the same leads per county, channel, type and
# outcome (their dates follow the day of loading). Written in one action with bulk inserts: the
# leads are closed, so they need no deadline task and send no notification. Each lead still gets
# its own data key, as intake gives it, so that erasing one erases that one alone.

HISTORY_ACTION = "demo.leads_history"
HISTORY_SEED = 20211129
HISTORY_LEADS = 900
HISTORY_DAYS = 548  # about eighteen months
# The newest history lead is older than the near-duplicate window (72 hours), so that a lead
# sent today is never linked to one of them.
HISTORY_NEWEST_DAYS = 4
# Where leads come from: populous districts and transport hubs of Suzhou, Nanjing and Wuxi
# most; every other county (weight OTHER_COUNTY_WEIGHT) now and then.
COUNTY_WEIGHTS = {
    # 苏州
    "320508": 40.0,  # 姑苏区 (old city, Suzhou station)
    "320583": 24.0,  # 昆山市
    "320506": 20.0,  # 吴中区
    "320505": 7.0,  # 虎丘区
    "320509": 6.0,  # 吴江区
    "320581": 6.0,  # 常熟市
    "320507": 5.0,  # 相城区
    "320582": 5.0,  # 张家港市
    "320585": 3.5,  # 太仓市
    # 南京
    "320102": 24.0,  # 玄武区 (Nanjing station)
    "320115": 16.0,  # 江宁区
    "320114": 8.0,  # 雨花台区 (Nanjing South station)
    "320106": 8.0,  # 鼓楼区
    "320104": 6.0,  # 秦淮区
    "320113": 5.0,  # 栖霞区
    "320105": 4.5,  # 建邺区
    "320111": 3.5,  # 浦口区
    "320116": 2.5,  # 六合区
    # 无锡
    "320213": 10.0,  # 梁溪区 (Wuxi station)
    "320214": 6.0,  # 新吴区
    "320211": 4.5,  # 滨湖区
    "320281": 5.0,  # 江阴市
    "320206": 3.5,  # 惠山区
    "320205": 3.5,  # 锡山区
    "320282": 3.5,  # 宜兴市
    # other cities' hubs
    "320311": 3.5,  # 徐州 泉山区 (Xuzhou station)
    "320412": 3.5,  # 常州 武进区
    "320402": 3.0,  # 常州 天宁区
}
OTHER_COUNTY_WEIGHT = 0.7
CHANNEL_WEIGHTS = {"public": 62, "hotline": 38}
NAMED_SHARE = {"public": 0.3, "hotline": 0.55}
TYPE_WEIGHTS = {
    "missing_now": 17,
    "trafficking": 12,
    "wandering_minor": 15,
    "online": 12,
    "school_dropout": 9,
    "forced_labour": 7,
    "child_labour": 7,
    "illegal_adoption": 6,
    "sexual_exploitation": 4,
    "other": 11,
}
# Share of leads acknowledged after their deadline, and of leads found to be true.
LATE_SHARE = 0.12
SUBSTANTIATED_SHARE = {"missing_now": 0.55, "wandering_minor": 0.6, "school_dropout": 0.6}
DEFAULT_SUBSTANTIATED_SHARE = 0.3
# More leads in the months of the Spring Festival travel, the summer holidays and National Day,
# and more as the reporting channels became known (the oldest months hold about a third as many
# leads a day as the newest).
SEASON = {1: 1.25, 2: 1.3, 7: 1.45, 8: 1.45, 10: 1.15}
# Hour of arrival (Beijing time): few at night.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 6, 6, 7, 7, 7, 8, 8, 7, 6, 4, 3, 2)
HISTORY_TEXT = {
    "missing_now": "孩子在{place}走散，家人已寻找一个多小时。",
    "trafficking": "{place}有成年人带着一名哭闹的儿童，孩子说不认识他。",
    "wandering_minor": "{place}连续几天有未成年人独自乞讨，夜里无处可去。",
    "online": "网上有账号发布“转让孩子”的信息，自称在{place}附近交接。",
    "school_dropout": "{place}附近一名初中年龄的孩子开学后一直没去上学。",
    "forced_labour": "{place}的作坊里有几个少年每天做工十几个小时，证件被扣。",
    "child_labour": "{place}一家店铺雇用看起来不满十六岁的孩子打工。",
    "illegal_adoption": "听说{place}有人出钱“收养”刚出生的婴儿，没有办任何手续。",
    "sexual_exploitation": "{place}一处娱乐场所疑似有未成年女孩陪酒。",
    "other": "{place}有儿童长期无人照看，邻居担心其安全。",
}
PLACES = ("火车站附近", "汽车客运站", "某商场门口", "某小区", "某城中村", "某工业园区", "某公园")
OUTCOME_NOTES = {
    "substantiated": "经核查情况属实，已依法处置。",
    "unsubstantiated": "经核查情况不属实，已向反映人说明。",
}
# Named reporters (synthetic names, numbers of the reserved 13800000xxx range).
REPORTERS = (("王女士", "13800000101"), ("李先生", "13800000102"), ("陈女士", "13800000103"))
CHILD_AGES = ("约4岁", "约6岁", "约9岁", "约12岁", "约14岁", "15岁")
CARER_TYPES = {"missing_now", "trafficking", "wandering_minor"}


@dataclass(frozen=True)
class HistoryLead:
    """One drawn history lead: who sent what, from where and when, and how it went."""

    county: str
    channel: str
    lead_type: str
    reporter: tuple[str, str] | None  # name and phone of a named reporter
    received: datetime  # the exact moment (a public lead keeps its hour only)
    ack_share: float  # how far into its deadline it was acknowledged (above 1: late)
    close_hours: float  # hours from acknowledgement to the outcome
    outcome: str
    place: str | None
    child: ChildInput | None


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _county_weights() -> dict[str, float]:
    return {
        d.code: COUNTY_WEIGHTS.get(d.code, OTHER_COUNTY_WEIGHT) for d in geo.divisions("county")
    }


def _day_weights(now: datetime) -> list[float]:
    """Weight of each day ago (HISTORY_NEWEST_DAYS .. HISTORY_DAYS) by season and growth."""
    out = []
    for days in range(HISTORY_NEWEST_DAYS, HISTORY_DAYS + 1):
        month = (now - timedelta(days=days)).astimezone(service.BEIJING).month
        growth = 1.0 - 0.7 * days / HISTORY_DAYS
        out.append(SEASON.get(month, 1.0) * growth)
    return out


def _arrival(rng: random.Random, now: datetime, days: list[float]) -> datetime:
    ago = HISTORY_NEWEST_DAYS + rng.choices(range(len(days)), weights=days)[0]
    day = (now - timedelta(days=ago)).astimezone(service.BEIJING)
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = day.replace(
        hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
    )
    return local.astimezone(UTC)


def _child(rng: random.Random, lead_type: str) -> ChildInput | None:
    if lead_type not in CARER_TYPES or rng.random() < 0.3:
        return None
    sex = rng.choice(("male", "female", "unknown"))
    return ChildInput(sex=sex, age=rng.choice(CHILD_AGES))  # type: ignore[arg-type]


def draw_history(now: datetime) -> list[HistoryLead]:
    """The history leads, drawn from HISTORY_SEED (the same ones on every load)."""
    rng = random.Random(HISTORY_SEED)  # noqa: S311 - reproducible synthetic data, no secret
    counties, days = _county_weights(), _day_weights(now)
    out = []
    for _ in range(HISTORY_LEADS):
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        lead_type = _weighted(rng, TYPE_WEIGHTS)
        late = rng.random() < LATE_SHARE
        true = rng.random() < SUBSTANTIATED_SHARE.get(lead_type, DEFAULT_SUBSTANTIATED_SHARE)
        out.append(
            HistoryLead(
                county=_weighted(rng, counties),
                channel=channel,
                lead_type=lead_type,
                reporter=rng.choice(REPORTERS) if rng.random() < NAMED_SHARE[channel] else None,
                received=_arrival(rng, now, days),
                ack_share=rng.uniform(1.05, 2.5) if late else rng.uniform(0.05, 0.95),
                close_hours=rng.uniform(2, 240),
                outcome="substantiated" if true else "unsubstantiated",
                place=rng.choice(PLACES) if rng.random() < 0.7 else None,
                child=_child(rng, lead_type),
            )
        )
    return out


@dataclass
class _Staff:
    """Who worked the history leads: a demo persona of the owner unit where there is one."""

    handlers: dict[int, int]  # unit id -> user id allowed to handle leads
    intake: dict[str, int]  # unit code -> user id allowed to take hotline calls

    @classmethod
    def load(cls, session: Session) -> _Staff:
        handlers: dict[int, int] = {}
        intake: dict[str, int] = {}
        users = session.execute(select(User).order_by(User.username)).scalars()
        for user in users:
            if user.unit.level != "county":
                continue
            who = actor_for_user(user)
            if who.can("leads.handle"):
                handlers.setdefault(user.unit_id, user.id)
            if who.can("leads.intake") and user.unit.department == "police":
                intake.setdefault(user.unit.code, user.id)
        return cls(handlers, intake)


class _Units:
    """The unit each lead goes to, by the module's routing rule (looked up once per pair)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], Unit] = {}

    def for_lead(self, item: HistoryLead) -> Unit:
        department = catalogue.department_for(item.lead_type, channel=item.channel)
        key = (item.county, department)
        if key not in self.cache:
            self.cache[key] = routing.unit_for(self.session, item.county, department)
        return self.cache[key]


def _free_tracking_codes(session: Session, n: int) -> list[str]:
    """``n`` tracking codes no lead holds yet."""
    codes: set[str] = set()
    while len(codes) < n:
        wanted = {service.new_tracking_code() for _ in range(n - len(codes))}
        taken = set(
            session.execute(
                select(Lead.tracking_code).where(Lead.tracking_code.in_(wanted))
            ).scalars()
        )
        codes |= wanted - taken
    return sorted(codes)


def _description(item: HistoryLead) -> str:
    place = geo.get_division(item.county).name + (item.place or "")
    return HISTORY_TEXT[item.lead_type].format(place=place)


def _sealed(crypto: FieldCrypto, lead: Lead, item: HistoryLead) -> dict[str, str | None]:
    values = {
        "reporter_name": item.reporter[0] if item.reporter else None,
        "reporter_phone": item.reporter[1] if item.reporter else None,
        "description": _description(item),
        "child": item.child.model_dump_json() if item.child else None,
        "place_text": geo.get_division(item.county).name + item.place if item.place else None,
        "outcome_note": OUTCOME_NOTES[item.outcome],
    }
    return {column: service.seal(crypto, lead, column, value) for column, value in values.items()}


def _history_row(
    crypto: FieldCrypto, item: HistoryLead, unit: Unit, staff: _Staff, code: str, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A closed lead as intake, acknowledgement and outcome would have left it, and its
    timeline (lead_id filled in once the lead is inserted)."""
    public = item.channel == "public"
    hour = service.hour_of(item.received)
    urgency = catalogue.urgency_for(item.lead_type, channel=item.channel)
    start = service.next_hour(item.received) if public else item.received
    due = routing.ack_deadline(urgency, start=start)
    acknowledged = (start + (due - start) * item.ack_share).replace(microsecond=0)
    closed = min(acknowledged + timedelta(hours=item.close_hours), now - timedelta(hours=1))
    arrived = item.received if not public else hour
    handler = staff.handlers.get(unit.id)
    salt = secrets.token_hex(16)
    # Only the digest of a passphrase nobody holds: these leads are not followed from outside.
    lead = Lead(public_id=new_public_id(), subject_id=f"lead:{uuid.uuid4()}")
    row: dict[str, Any] = {
        "public_id": lead.public_id,
        "subject_id": lead.subject_id,
        "tracking_code": code,
        "passphrase_salt": salt,
        "passphrase_hash": service.passphrase_digest(salt, service.new_passphrase()),
        "channel": item.channel,
        "lead_type": item.lead_type,
        "urgency": urgency,
        "status": "closed",
        "outcome": item.outcome,
        "county_code": item.county,
        "received_month": service.month_of(arrived),
        "received_hour": hour,
        "received_at": None if public else item.received,
        "owner_unit_id": unit.id,
        "intake_user_id": None if public else staff.intake.get(f"{item.county}-GA"),
        "reporter_kind": "named" if item.reporter else "anonymous",
        "ack_due_at": due,
        "acknowledged_at": acknowledged,
        "acknowledged_by_id": handler,
        "ack_minutes": max(0, int((acknowledged - arrived).total_seconds() // 60)),
        "ack_in_time": acknowledged <= due,
        "closed_at": closed,
        "closed_by_id": handler,
        # Received, acknowledged, closed: the version the module's actions would leave.
        "version": 3,
        **_sealed(crypto, lead, item),
    }
    events = [
        {"at": arrived, "kind": "received", "user_id": None, "to_unit_id": unit.id, "note": None},
        {
            "at": acknowledged,
            "kind": "acknowledged",
            "user_id": handler,
            "to_unit_id": unit.id,
            "note": None,
        },
        {
            "at": closed,
            "kind": "outcome",
            "user_id": handler,
            "to_unit_id": None,
            "note": service.seal_event_note(crypto, lead, item.outcome),
        },
    ]
    return row, events


def _history_loaded(session: Session) -> bool:
    found = session.execute(
        select(AuditEvent.seq)
        .where(AuditEvent.action == HISTORY_ACTION, AuditEvent.outcome == "success")
        .limit(1)
    ).first()
    session.rollback()
    return found is not None


@register("leads.history", order=41)
def load_history(session: Session, actor: Actor, report: DemoReport) -> None:
    """Eighteen months of closed leads across the province (once), in one action."""
    if _history_loaded(session):
        report.added["leads.history"] = 0
        return
    crypto, now = field_crypto(), utcnow()
    items = draw_history(now)
    units, staff = _Units(session), _Staff.load(session)
    codes = _free_tracking_codes(session, len(items))
    # Keys and ciphertexts before the write transaction, as intake does.
    rows = [
        _history_row(crypto, item, units.for_lead(item), staff, code, now)
        for item, code in zip(items, codes, strict=True)
    ]
    session.rollback()
    with action(session, actor, HISTORY_ACTION, object_type="lead") as act:
        ids = dict(
            session.execute(
                insert(Lead.__table__).returning(Lead.public_id, Lead.id),
                [lead for lead, _ in rows],
            ).all()
        )
        session.execute(
            insert(LeadEvent.__table__),
            [{**e, "lead_id": ids[lead["public_id"]]} for lead, events in rows for e in events],
        )
        act.detail["count"] = len(rows)
    report.added["leads.history"] = len(rows)
