"""Demo data of the identification module: planted true families of the DNA demo linked to open
missing-child cases and to long-missing records, the found children (some renamed, whom only
DNA finds; some who kept their names, whom the records find too), a lead found by records
alone, an overdue shelter intake, and one family left for the browser journey.

Every name, date and place is synthetic. ``JOURNEY`` names the family whose child is not
registered: the journey registers the child, imports its profile and follows it to reunion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.alerts import actions as alerts
from fanguai.alerts.demo import demo_photo
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.demo import DemoReport, register
from fanguai.dna.demo import DEMO_TRUTH, demo_samples
from fanguai.dna.models import Specimen
from fanguai.identify import actions, bridges, service
from fanguai.identify.calendar import BEIJING
from fanguai.identify.models import FoundPerson
from fanguai.identify.schemas import FoundCreate, MissingRecordCreate
from fanguai.org.models import User
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import actor_for_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Family:
    """A planted family: who registered the loss, the child as lost and as found."""

    index: int  # position among the DNA demo's planted families
    side: str  # case | record | none
    registrar: str  # persona who opened the case or took the registration
    child: str  # the child's name as the family gives it
    sex: str
    born: date
    lost_on: str  # YYYY-MM(-DD)
    county: str
    father: str | None
    mother: str | None
    features: str
    found: dict | None  # FoundCreate values of the child as found (None: not found yet)


def _found(source: str, county: str, name: str | None, years_ago: float, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"source": source, "county_code": county, "name": name, "years_ago": years_ago, **extra}


# The DNA demo's planted families in order: 12 couples, then 2 fathers and 2 mothers alone.
FAMILIES: tuple[Family, ...] = (
    Family(
        0,
        "case",
        "gusu.police",
        "陈浩然",
        "male",
        date(2021, 9, 14),
        "",
        "320508",
        "陈志明",
        "赵丽娟",
        "左眉上方有一道浅疤，说话带苏州口音",
        None,
    ),
    Family(
        1,
        "case",
        "wuzhong.police",
        "刘子墨",
        "male",
        date(2018, 11, 2),
        "",
        "320506",
        "刘建军",
        "王秀英",
        "右手背有褐色胎记",
        _found(
            "shelter_intake",
            "320508",
            "小军",
            0.02,
            age_min=6,
            age_max=8,
            found_place="姑苏区火车站广场",
            found_by="姑苏区救助管理站",
            description="独自在车站徘徊，说不清家庭住址，右手背有褐色胎记",
        ),
    ),
    Family(
        2,
        "record",
        "gusu.police",
        "张小宝",
        "male",
        date(2016, 3, 2),
        "2019-05",
        "320508",
        "张建华",
        "李红",
        "左耳垂有小痣",
        _found(
            "census",
            "320508",
            "李乐",
            0.1,
            age_min=9,
            age_max=11,
            father_name="李国平",
            description="人口普查发现无出生医学证明，左耳垂有小痣",
        ),
    ),
    Family(
        3,
        "record",
        "suzhou.police",
        "孙悦",
        "female",
        date(2012, 7, 20),
        "2016-10",
        "320505",
        "孙立新",
        "周敏",
        "后颈有圆形胎记",
        _found(
            "school_enrolment",
            "320505",
            "周悦",
            0.2,
            age_min=12,
            age_max=14,
            description="招生入学审核发现户籍登记与年龄不符，后颈有圆形胎记",
        ),
    ),
    Family(
        4,
        "record",
        "wuzhong.police",
        "黄子涵",
        "female",
        date(2013, 1, 8),
        "2021-04-03",
        "320506",
        "黄伟",
        "陈静怡",
        "门牙缺一角",
        _found(
            "rescue",
            "320508",
            "黄子涵",
            0.05,
            birth_date="2013-01-08",
            found_by="姑苏区公安局刑警大队",
            father_name="黄伟",
            description="解救时称被带至外地打工，门牙缺一角",
        ),
    ),
    Family(
        5,
        "record",
        "gusu.police",
        "吴欣怡",
        "female",
        date(2010, 5, 16),
        "2023-08-21",
        "320508",
        "吴刚",
        "钱芳",
        "戴黑框眼镜",
        _found(
            "wandering_minor",
            "320508",
            "吴欣怡",
            0.03,
            birth_date="2010-05-16",
            mother_name="钱芳",
            found_place="姑苏区山塘街",
            description="离家出走后流浪，戴黑框眼镜",
        ),
    ),
    Family(
        6,
        "record",
        "gusu.police",
        "沈思琪",
        "female",
        date(2014, 2, 11),
        "2018-06",
        "320508",
        "沈建国",
        "张玲",
        "右脚踝有烫伤疤痕",
        None,
    ),
    Family(
        12,
        "record",
        "gusu.police",
        "徐明轩",
        "male",
        date(2015, 8, 30),
        "2017-03",
        "320508",
        "徐海",
        None,
        "左手小指弯曲",
        _found(
            "out_of_hospital_birth",
            "320508",
            "马明",
            0.15,
            age_min=9,
            age_max=11,
            description="申领出生医学证明时无法提供分娩记录",
        ),
    ),
    Family(
        14,
        "none",
        "gusu.police",
        "",
        "unknown",
        date(2016, 1, 1),
        "",
        "320508",
        None,
        None,
        "",
        _found(
            "shelter_intake",
            "320508",
            None,
            0.3,
            age_min=8,
            age_max=10,
            found_by="姑苏区救助管理站",
            description="聋哑，无法沟通，由群众送至救助站",
        ),
    ),
)
#: The family of the browser journey: an open case in 姑苏区 whose child is not registered yet.
JOURNEY = FAMILIES[0]
#: A lost child who kept the name: the records alone find the family (no DNA on either side).
RECORDS_ONLY = ("王浩", "male", date(2015, 4, 9), "2024-11-02", "320508", "王立强", "何丽")


def _actor(session: Session, username: str) -> Actor:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def _specimen(session: Session, lab_ref: str | None) -> str | None:
    if lab_ref is None:
        return None
    return session.execute(
        select(Specimen.public_id).where(Specimen.lab_ref == lab_ref)
    ).scalar_one_or_none()


@register("identify.demo", order=70)
def load_identify(session: Session, actor: Actor, report: DemoReport) -> None:
    """The planted families, their found children and the candidate lists (once)."""
    if session.execute(select(func.count()).select_from(FoundPerson)).scalar_one():
        report.added["found_persons"] = 0
        return
    session.rollback()
    now = utcnow()
    added = 0
    for family in FAMILIES:
        truth = DEMO_TRUTH[family.index]
        side_id = _missing_side(session, family, now)
        if side_id is not None:
            _link_parents(session, family, side_id, truth)
        if family.found is not None:
            found = _register_found(session, family, now)
            _attach_child(session, found.public_id, _specimen(session, truth.child))
            added += 1
    added += _records_only(session, now)
    added += _overdue_intake(session, now)
    _search_all(session, actor)
    _identify_one(session, FAMILIES[5])
    report.added["found_persons"] = added


def _missing_side(session: Session, family: Family, now: datetime) -> str | None:
    if family.side == "case":
        return _open_case(session, family, now)
    if family.side == "record":
        record = actions.register_missing(
            session,
            field_crypto(),
            actor=_actor(session, family.registrar),
            data=MissingRecordCreate(
                name=family.child,
                sex=family.sex,
                birth_date=family.born,
                county_code=family.county,
                lost_on=family.lost_on,
                father_name=family.father,
                mother_name=family.mother,
                features=family.features,
                contact="13800138000",
            ),
            now=now,
        )
        return record.public_id
    return None


def _open_case(session: Session, family: Family, now: datetime) -> str:
    places = {
        "320508": ("姑苏区石路步行街", 31.3152, 120.5980),
        "320506": ("吴中区木渎古镇", 31.2636, 120.5121),
    }
    place, lat, lng = places[family.county]
    last_seen = now - timedelta(days=40)
    age = (last_seen.astimezone(BEIJING).date() - family.born).days // 365
    case = alerts.report_case(
        session,
        actor=_actor(session, family.registrar),
        child={"name": family.child, "sex": family.sex, "age": age, "description": family.features},
        guardian={"name": family.father, "phone": "13900139000"},
        last_seen_place=place,
        last_seen_lat=lat,
        last_seen_lng=lng,
        last_seen_at=last_seen,
        category="suspected_abduction",
        now=last_seen + timedelta(hours=1),
    )
    if family is JOURNEY:
        # The journey ends with this alert withdrawn when the child is home.
        alerts.add_photo(
            session,
            actor=_actor(session, family.registrar),
            case_id=case.public_id,
            raw=demo_photo((40, 90, 200)),
        )
        alerts.publish_alert(
            session, actor=_actor(session, "gusu.chief"), case_id=case.public_id, now=now
        )
    return case.public_id


def _link_parents(session: Session, family: Family, side_id: str, truth) -> None:  # type: ignore[no-untyped-def]
    analyst = _actor(session, "suzhou.dna")
    for relation, ref in (("father", truth.father), ("mother", truth.mother)):
        specimen = _specimen(session, ref)
        if specimen is None:
            continue
        if family.side == "case":
            actions.link_case_specimen(
                session, actor=analyst, case_id=side_id, specimen=specimen, relation=relation
            )
        else:
            actions.link_parent_specimen(
                session, actor=analyst, missing_id=side_id, specimen=specimen, relation=relation
            )


def _register_found(session: Session, family: Family, now: datetime) -> FoundPerson:
    values = dict(family.found or {})
    found_at = now - timedelta(days=round(365 * values.pop("years_ago")))
    registrar = (
        "gusu.civil" if values["source"] in ("shelter_intake", "wandering_minor") else "gusu.police"
    )
    if family.index == 3:
        registrar = "suzhou.police"
    if values["source"] == "shelter_intake":
        values["shelter_entered_at"] = found_at + timedelta(hours=1)
    data = FoundCreate(found_at=found_at, sex=family.sex, **values)
    return actions.register_found(
        session, field_crypto(), actor=_actor(session, registrar), data=data, now=max(now, found_at)
    )


def _attach_child(session: Session, found_id: str, specimen: str | None) -> None:
    if specimen is None:
        return
    actions.attach_specimen(
        session, actor=_actor(session, "suzhou.dna"), found_id=found_id, specimen=specimen
    )


def _records_only(session: Session, now: datetime) -> int:
    name, sex, born, lost_on, county, father, mother = RECORDS_ONLY
    actions.register_missing(
        session,
        field_crypto(),
        actor=_actor(session, "gusu.police"),
        data=MissingRecordCreate(
            name=name,
            sex=sex,
            birth_date=born,
            county_code=county,
            lost_on=lost_on,
            father_name=father,
            mother_name=mother,
            features="左臂有烫伤疤痕",
        ),
        now=now,
    )
    actions.register_found(
        session,
        field_crypto(),
        actor=_actor(session, "gusu.civil"),
        data=FoundCreate(
            source="wandering_minor",
            found_at=now - timedelta(days=2),
            county_code="320508",
            name=name,
            sex=sex,
            birth_date=born,
            father_name=father,
            found_place="姑苏区平江路",
            description="自称离家出走，左臂有烫伤疤痕",
        ),
        now=now,
    )
    return 1


def _overdue_intake(session: Session, now: datetime) -> int:
    """A shelter intake twelve days ago whose notice and sample are both overdue."""
    entered = now - timedelta(days=12)
    actions.register_found(
        session,
        field_crypto(),
        actor=_actor(session, "gusu.civil"),
        data=FoundCreate(
            source="shelter_intake",
            found_at=entered - timedelta(hours=3),
            county_code="320508",
            sex="female",
            age_min=3,
            age_max=5,
            shelter_entered_at=entered,
            found_by="姑苏区救助管理站",
            found_place="姑苏区汽车北站候车厅",
            description="由车站工作人员送站，穿粉色羽绒服",
        ),
        now=entered,
    )
    return 1


def _search_all(session: Session, operator: Actor) -> None:
    """Fill the candidate lists: the lab's searches, then record linkage province-wide."""
    analyst = _actor(session, "suzhou.dna")
    rows = session.execute(select(FoundPerson).order_by(FoundPerson.id)).scalars().all()
    for found in rows:
        if bridges.specimen_of_found(session, found, actor=analyst) is not None:
            actions.run_dna_search(session, actor=analyst, found_id=found.public_id)
    try:
        actions.run_linkage(session, field_crypto(), actor=operator)
    except (ImportError, OSError, ValueError) as exc:  # LinkageError is a ValueError
        # The demo still shows the DNA side when the linkage library cannot run here.
        log.warning("demo record linkage skipped: %s", exc)


def _identify_one(session: Session, family: Family) -> None:
    """The lab re-tested one child and signed: the record waits for the reunification."""
    analyst = _actor(session, "suzhou.dna")
    child = DEMO_TRUTH[family.index].child
    sample = next(s for s in demo_samples()[1] if s.ref == child)
    profile = {locus: "/".join(g) for locus, g in sample.genotypes.items()}
    found = session.execute(
        select(FoundPerson).where(FoundPerson.status == "sampled").order_by(FoundPerson.id)
    ).scalars()
    for row in found:
        for candidate in service.candidates_of_found(session, actor=analyst, found=row):
            if candidate.level != "dna_supported":
                continue
            specimens = set(service.candidate_specimens(candidate))
            parents = {_specimen(session, DEMO_TRUTH[family.index].father)}
            if specimens & parents:
                actions.record_retest(
                    session, actor=analyst, candidate_id=candidate.public_id, profile=profile
                )
                actions.confirm_candidate(
                    session, actor=analyst, candidate_id=candidate.public_id, note="复核一致"
                )
                return
