"""Creating staff users: bad input gets a precise error and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fanguai.core.actor import cli_actor
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotFound
from fanguai.org.actions import create_user
from fanguai.org.models import User
from fanguai.org.schemas import UserCreate
from fanguai.security.service import actor_for_user


def _data(**overrides) -> UserCreate:  # type: ignore[no-untyped-def]
    values = {
        "username": "new.officer",
        "display_name": "欧阳晓",
        "unit_code": "320508-GA",
        "password": "Correct-Horse-9",
        "roles": ["police_officer"],
    }
    values.update(overrides)
    return UserCreate(**values)


def _count(session) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def test_it_creates_a_user_in_a_unit_with_a_hashed_password(session) -> None:  # type: ignore[no-untyped-def]
    user = create_user(session, actor=cli_actor("test"), data=_data())
    assert user.unit.code == "320508-GA" and user.role_codes == {"police_officer"}
    assert user.password_hash.startswith("$argon2id$")
    assert "Correct-Horse-9" not in user.password_hash


def test_a_duplicate_user_name_is_refused_and_nothing_is_written(session) -> None:  # type: ignore[no-untyped-def]
    before = _count(session)
    with pytest.raises(Conflict, match="already exists"):
        create_user(session, actor=cli_actor("test"), data=_data(username="gusu.police"))
    assert _count(session) == before


def test_an_unknown_unit_code_is_refused_and_nothing_is_written(session) -> None:  # type: ignore[no-untyped-def]
    before = _count(session)
    with pytest.raises(NotFound, match="unknown unit code '329999-GA'"):
        create_user(session, actor=cli_actor("test"), data=_data(unit_code="329999-GA"))
    assert _count(session) == before


@pytest.mark.parametrize(
    "roles",
    [
        ["sys_admin", "sec_admin"],
        ["audit_admin", "sec_admin"],
        ["sys_admin", "police_officer"],
        ["no_such_role"],
    ],
)
def test_it_refuses_combined_admin_roles_and_unknown_roles(session, roles) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        create_user(session, actor=cli_actor("test"), data=_data(roles=roles))


def test_a_system_admin_cannot_grant_business_roles(session) -> None:  # type: ignore[no-untyped-def]
    admin = session.execute(select(User).where(User.username == "sysadmin")).scalar_one()
    with pytest.raises(Forbidden):
        create_user(session, actor=actor_for_user(admin), data=_data())


def test_a_police_officer_cannot_create_users(session) -> None:  # type: ignore[no-untyped-def]
    officer = session.execute(select(User).where(User.username == "gusu.police")).scalar_one()
    with pytest.raises(Forbidden):
        create_user(session, actor=actor_for_user(officer), data=_data(roles=["sys_admin"]))


@pytest.mark.parametrize("name", ["UPPER", "ab", "has space", "中文名"])
def test_user_names_are_checked_before_anything_is_stored(name) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _data(username=name)
