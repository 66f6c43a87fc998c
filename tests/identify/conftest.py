"""Helpers for the identification tests: personas as actors, a found child, a family."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from fanguai.core.actor import Actor
from fanguai.identify import actions
from fanguai.identify.calendar import BEIJING
from fanguai.identify.schemas import FoundCreate, MissingRecordCreate
from fanguai.org.models import User
from fanguai.security.service import actor_for_user

# A Monday in a plain week of 2026 (no holiday near): deadlines are easy to count.
MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=BEIJING)


def as_actor(session, username: str) -> Actor:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user)


def found_data(**overrides) -> FoundCreate:  # type: ignore[no-untyped-def]
    values = {
        "source": "shelter_intake",
        "found_at": MONDAY - timedelta(hours=2),
        "county_code": "320508",
        "found_place": "苏州火车站南广场",
        "found_by": "姑苏区救助管理站",
        "name": "小宝",
        "sex": "male",
        "age_min": 5,
        "age_max": 7,
        "description": "身穿红色外套，左手腕有胎记",
        "father_name": "张建华",
    }
    values.update(overrides)
    return FoundCreate(**values)


@pytest.fixture
def register(session, field_crypto):  # type: ignore[no-untyped-def]
    """``register("gusu.civil", **overrides)`` → a newly registered found person."""

    def _register(username: str = "gusu.civil", now: datetime = MONDAY, **overrides):  # type: ignore[no-untyped-def]
        return actions.register_found(
            session,
            field_crypto,
            actor=as_actor(session, username),
            data=found_data(**overrides),
            now=now,
        )

    return _register


@pytest.fixture
def register_missing(session, field_crypto):  # type: ignore[no-untyped-def]
    def _register(username: str = "gusu.police", **overrides):  # type: ignore[no-untyped-def]
        values = {
            "name": "张小宝",
            "sex": "male",
            "birth_date": "2019-06-01",
            "county_code": "320508",
            "lost_on": "2022-05",
            "father_name": "张建华",
            "mother_name": "李红",
            "features": "左手腕有胎记",
        }
        values.update(overrides)
        return actions.register_missing(
            session,
            field_crypto,
            actor=as_actor(session, username),
            data=MissingRecordCreate(**values),
            now=MONDAY,
        )

    return _register
