"""Demo people: a parent and a missing child registered by a few units (synthetic identities)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.demo import DemoReport, register
from fanguai.org.models import Unit, User
from fanguai.people.actions import create_person
from fanguai.people.idcard import check_digit
from fanguai.people.models import Person
from fanguai.people.schemas import PersonCreate
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import actor_for_user

# (registering persona, parent, child, the child's birth date, county)
DEMO_PEOPLE = (
    ("gusu.police", "王建国", "王小雨", date(2016, 5, 3), "320508"),
    ("wuzhong.police", "陈志强", "陈乐乐", date(2018, 9, 21), "320506"),
    ("suzhou.police", "欧阳明", "欧阳思琪", date(2012, 2, 29), "320505"),
    ("nanjing.police", "阿依古丽·买买提", "阿迪力", date(2015, 7, 1), "320102"),
    ("gusu.civil", "司马磊", "司马一鸣", date(2019, 12, 12), "320508"),
)


def demo_id_card(county: str, born: date, serial: int, male: bool) -> str:
    """A well-formed synthetic ID number (valid check digit) for demo data."""
    seq = f"{serial % 100:02d}{(1 if male else 2) + 2 * (serial % 4)}"
    first17 = f"{county}{born:%Y%m%d}{seq}"
    return first17 + check_digit(first17)


@register("people.demo", order=30)
def load_people(session: Session, actor: Actor, report: DemoReport) -> None:
    """Register the demo families (once)."""
    if session.execute(select(func.count()).select_from(Person)).scalar_one():
        report.added["people"] = 0
        return
    session.rollback()
    crypto = field_crypto()
    added = 0
    for i, (username, parent, child, born, county) in enumerate(DEMO_PEOPLE, start=1):
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        who = actor_for_user(user)
        parent_born = date(born.year - 30, 3, 15)
        create_person(
            session,
            crypto,
            actor=who,
            data=PersonCreate(
                kind="parent",
                name=parent,
                sex="male",
                id_card=demo_id_card(county, parent_born, i, True),
                birth_date=parent_born,
                phone=f"1380000{i:04d}",
                address=f"{session.get(Unit, user.unit_id).division.full_name}示例路{i}号",
                county_code=county,
            ),
        )
        create_person(
            session,
            crypto,
            actor=who,
            data=PersonCreate(
                kind="missing_child",
                name=child,
                sex="unknown",
                birth_date=born,
                county_code=county,
                notes="演示数据：放学途中走失，身穿蓝色校服。",
            ),
        )
        added += 2
    report.added["people"] = added
