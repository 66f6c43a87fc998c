"""Demo data of the victim assistance module (synthetic people, nothing real).

- personas for the lines that each do one piece: health and human resources in Gusu, and
  caseworkers in Wuzhong (a sibling county) and Xuanwu, Nanjing (another city);
- a designated hospital in every county (二(三)1(6): at least one each);
- files in Gusu at every stage: a 14-year-old unidentified in a shelter for over three months
  (the household-registration rule is due), a 16-year-old back home who wants work, a child
  placed in school by the education officer, a foreign woman waiting to go home; one file each
  in Wuzhong and Nanjing; and closed files of earlier years for the de-identified statistics.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import new_public_id, utcnow
from fanguai.demo import DemoReport, register
from fanguai.org.demo import Persona, ensure_personas
from fanguai.org.models import Division, Unit, User
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import actor_for_user
from fanguai.victims import actions, service
from fanguai.victims.models import DesignatedHospital, VictimFile
from fanguai.victims.schemas import (
    AssessmentCreate,
    ConsentCreate,
    FileCreate,
    ProfileUpdate,
    ReferralCreate,
    ServiceCreate,
)

PERSONAS = (
    Persona(
        "gusu.health", "钱敏", "320508-WJ", ("sector_officer",), "姑苏区卫生健康委（医疗救治）"
    ),
    Persona("gusu.hr", "何军", "320508-RS", ("sector_officer",), "姑苏区人社局（就业服务）"),
    Persona("wuzhong.civil", "许婷", "320506-MZ", ("caseworker",), "吴中区民政局社工（兄弟县区）"),
    Persona("nanjing.civil", "韩冰", "320102-MZ", ("caseworker",), "南京市玄武区民政局社工"),
)

# Files of earlier years for the statistics: (year, sex, age, nationality, types, count).
HISTORY = (
    (2024, "female", 15, "CN", ["sexual"], 12),
    (2024, "male", 11, "CN", ["begging"], 3),
    (2025, "female", 22, "VN", ["forced_marriage"], 4),
)


@register("victims.personas", order=15)
def load_personas(session: Session, actor: Actor, report: DemoReport) -> None:
    """The health, human-resources and two more caseworker personas."""
    ensure_personas(session, actor, report, PERSONAS, key="victims.personas")


@register("victims.hospitals", order=55)
def load_hospitals(session: Session, actor: Actor, report: DemoReport) -> None:
    """One designated general hospital per county (the county's people's hospital)."""
    if session.execute(select(func.count()).select_from(DesignatedHospital)).scalar_one():
        session.rollback()
        report.added["victims.hospitals"] = 0
        return
    counties = list(session.execute(select(Division).where(Division.level == "county")).scalars())
    session.rollback()
    with action(session, actor, "victims.demo_hospitals", object_type="victim_hospital"):
        for d in counties:
            session.add(
                DesignatedHospital(
                    county_code=d.code,
                    name=f"{d.name}人民医院",
                    kind="general",
                    disability_assessment=d.code.endswith("02"),
                    designated_on=date(2022, 1, 1),
                )
            )
        session.add(
            DesignatedHospital(
                county_code="320508",
                name="姑苏区心理健康专科医院",
                kind="psychiatric",
                designated_on=date(2022, 1, 1),
            )
        )
    report.added["victims.hospitals"] = len(counties) + 1


@dataclass
class _Demo:
    session: Session
    now: datetime

    @property
    def today(self) -> date:
        return service.today_in_beijing(self.now)

    def who(self, username: str) -> Actor:
        user = self.session.execute(select(User).where(User.username == username)).scalar_one()
        return actor_for_user(user)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int) -> datetime:
        return service.beijing_midnight(self.day(days_ago)) + timedelta(hours=10)

    def hospital(self, county: str) -> str:
        return (
            self.session.execute(
                select(DesignatedHospital.public_id).where(
                    DesignatedHospital.county_code == county, DesignatedHospital.kind == "general"
                )
            )
            .scalars()
            .one()
        )

    def open(self, username: str, **data: Any) -> VictimFile:
        return actions.create_file(
            self.session,
            field_crypto(),
            actor=self.who(username),
            data=FileCreate.model_validate(data),
            now=self.now,
        )

    def service(self, username: str, file: VictimFile, sector: bool = False, **data: Any) -> None:
        actions.record_service(
            self.session,
            field_crypto(),
            actor=self.who(username),
            public_id=file.public_id,
            data=ServiceCreate.model_validate(data),
            sector=sector,
            now=self.now,
        )

    def profile(self, username: str, file: VictimFile, **data: Any) -> None:
        actions.set_profile(
            self.session,
            field_crypto(),
            actor=self.who(username),
            public_id=file.public_id,
            data=ProfileUpdate.model_validate(data),
        )


@register("victims.files", order=60)
def load_files(session: Session, actor: Actor, report: DemoReport) -> None:
    """Files at every stage (once)."""
    if session.execute(select(func.count()).select_from(VictimFile)).scalar_one():
        session.rollback()
        report.added["victims.files"] = 0
        return
    session.rollback()
    demo = _Demo(session, utcnow())
    _unidentified_girl(demo)
    _boy_back_home(demo)
    _child_in_school(demo)
    _foreign_woman(demo)
    demo.open("wuzhong.civil", received_at=demo.at(20), sex="male", age=12, notes="演示数据")
    demo.open(
        "nanjing.civil",
        received_at=demo.at(35),
        sex="female",
        age=15,
        name="林晓",
        notes="演示数据",
    )
    added = 6 + _history(session, actor, demo.now)
    report.added["victims.files"] = added


def _unidentified_girl(demo: _Demo) -> None:
    """14, identity unknown, in a shelter for over three months: the hukou rule is due."""
    file = demo.open(
        "gusu.civil",
        received_at=demo.at(100),
        sex="female",
        age=14,
        notes="演示数据：公安机关解救后移交，本人无法说清家庭住址。",
    )
    demo.profile(
        "gusu.civil",
        file,
        exploitation_types=["sexual"],
        means_of_control=["threats", "restricts_movement", "withholds_documents"],
        recruiter_relation="stranger",
        recruitment_method="online",
        timeline=[
            {"stage": "recruitment", "start": demo.day(190).isoformat(), "place": "网络聊天"},
            {
                "stage": "transit",
                "start": demo.day(170).isoformat(),
                "end": demo.day(165).isoformat(),
            },
            {
                "stage": "exploitation",
                "start": demo.day(165).isoformat(),
                "end": demo.day(100).isoformat(),
            },
        ],
        narrative="演示数据：经网络结识后被带离原籍，在外地被控制。",
    )
    demo.service(
        "gusu.civil",
        file,
        kind="shelter",
        started_on=demo.day(100),
        details={"provider": "姑苏区未成年人救助保护中心"},
    )
    demo.service(
        "gusu.health",
        file,
        sector=True,
        kind="medical",
        started_on=demo.day(98),
        ended_on=demo.day(90),
        details={
            "hospital": demo.hospital("320508"),
            "diagnosis": "演示数据：营养不良",
            "total_cost": "3200.00",
            "insurance_paid": "2100.00",
        },
    )
    demo.service(
        "gusu.civil",
        file,
        kind="counselling",
        started_on=demo.day(95),
        details={"provider": "姑苏区心理健康专科医院", "sessions": 4},
    )
    actions.add_consent(
        demo.session,
        actor=demo.who("gusu.civil"),
        public_id=file.public_id,
        data=ConsentCreate(scope="health", given_by="victim", given_on=demo.day(99)),
        now=demo.now,
    )
    actions.add_assessment(
        demo.session,
        field_crypto(),
        actor=demo.who("gusu.civil"),
        public_id=file.public_id,
        data=AssessmentCreate(
            assessed_on=demo.day(99),
            needs=["shelter", "medical", "psychological", "family_tracing", "education"],
            priority="urgent",
        ),
        now=demo.now,
    )


def _boy_back_home(demo: _Demo) -> None:
    """16 and wanting work, back with his family for forty days."""
    born = demo.day(16 * 366 + 30)
    file = demo.open(
        "gusu.civil",
        received_at=demo.at(180),
        sex="male",
        name="张明远",
        birth_date=born.isoformat(),
        identified=True,
        wants_work=True,
        origin_county="341203",
        notes="演示数据",
    )
    demo.profile(
        "gusu.civil",
        file,
        exploitation_types=["begging", "labour"],
        means_of_control=["physical_abuse", "takes_earnings"],
        recruiter_relation="acquaintance",
        recruitment_method="false_job_offer",
    )
    demo.service(
        "gusu.civil",
        file,
        kind="shelter",
        started_on=demo.day(180),
        details={"provider": "苏州市救助管理站"},
    )
    demo.service(
        "gusu.civil",
        file,
        kind="return_home",
        started_on=demo.day(40),
        details={
            "destination": "family",
            "provider": "父母",
            "privacy_measures": "不向邻里透露经历",
        },
    )


def _child_in_school(demo: _Demo) -> None:
    """9, placed in school by the education officer."""
    file = demo.open(
        "gusu.civil",
        received_at=demo.at(60),
        sex="female",
        name="李欣然",
        age=9,
        identified=True,
        notes="演示数据",
    )
    demo.profile(
        "gusu.civil", file, exploitation_types=["illegal_adoption"], recruiter_relation="family"
    )
    demo.service(
        "gusu.civil",
        file,
        kind="shelter",
        started_on=demo.day(60),
        details={"provider": "苏州市儿童福利院"},
    )
    demo.service(
        "gusu.edu",
        file,
        sector=True,
        kind="schooling",
        started_on=demo.day(30),
        details={"provider": "姑苏区实验小学", "grade": "三年级", "record_transferred": True},
    )


def _foreign_woman(demo: _Demo) -> None:
    """An adult from abroad: legal aid through the green channel, referral to justice."""
    file = demo.open(
        "gusu.civil",
        received_at=demo.at(25),
        sex="female",
        age=24,
        nationality="VN",
        notes="演示数据",
    )
    demo.profile(
        "gusu.civil",
        file,
        exploitation_types=["forced_marriage"],
        means_of_control=["withholds_documents"],
    )
    demo.service(
        "gusu.civil",
        file,
        kind="shelter",
        started_on=demo.day(25),
        details={"provider": "苏州市救助管理站"},
    )
    actions.add_consent(
        demo.session,
        actor=demo.who("gusu.civil"),
        public_id=file.public_id,
        data=ConsentCreate(scope="justice", given_by="victim", given_on=demo.day(24)),
        now=demo.now,
    )
    actions.refer(
        demo.session,
        actor=demo.who("gusu.civil"),
        public_id=file.public_id,
        data=ReferralCreate(to_unit="320508-SF", kind="legal_aid", note="演示数据：申请法律援助"),
        now=demo.now,
    )


def _history(session: Session, actor: Actor, now: datetime) -> int:
    """Closed files of earlier years, in one action (for the statistics page)."""
    crypto = field_crypto()
    units = {
        u.division_code: u
        for u in session.execute(
            select(Unit).where(Unit.department == "civil_affairs", Unit.level == "county")
        ).scalars()
        if u.division_code.startswith("3205")
    }
    session.rollback()
    rng = random.Random(2021)  # noqa: S311 - seeded demo data, not a secret
    codes = sorted(units)
    added = 0
    with action(session, actor, "victims.demo_history", object_type="victim_file"):
        for year, sex, age, nationality, types, count in HISTORY:
            for _ in range(count):
                unit = units[rng.choice(codes)]
                received = datetime(
                    year, rng.randint(1, 12), rng.randint(1, 28), 10, tzinfo=service.BEIJING
                )
                public_id = new_public_id()
                file = VictimFile(
                    public_id=public_id,
                    file_no=service.file_no(unit.division_code, public_id, received.date()),
                    subject_id=f"victim:{uuid.uuid4()}",
                    owner_unit_id=unit.id,
                    county_code=unit.division_code,
                    opened_month=received.strftime("%Y-%m"),
                    opened_at=received,
                    received_at=received,
                    status="closed",
                    closed_at=received + timedelta(days=200),
                    close_reason="completed",
                    sex=sex,
                    age_min=age,
                    age_max=age,
                    nationality=nationality,
                    identified_on=received.date(),
                )
                profile = {"exploitation_types": types, "means_of_control": [], "timeline": []}
                file.exploitation = service.seal(
                    crypto,
                    file,
                    table="victim_file",
                    column="exploitation",
                    row_id=public_id,
                    value=json.dumps(profile),
                )
                session.add(file)
                added += 1
    return added
