"""A2, A5, A7 and password rotation, with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanguai.core.actor import cli_actor
from fanguai.db import utcnow
from fanguai.org.models import User
from fanguai.security import service as auth
from tests.conftest import PASSWORD


def _api_login(app, username: str, password: str = PASSWORD, ip: str = "testclient"):  # type: ignore[no-untyped-def]
    c = TestClient(app, base_url="https://testserver", client=(ip, 50000))
    return c, c.post("/api/session", json={"username": username, "password": password})


def test_the_idle_timeout_ends_a_session(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    with time_machine.travel(utcnow() + timedelta(minutes=14)):
        assert c.get("/api/me").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=14 + 16)):
        assert c.get("/api/me").status_code == 401


def test_the_absolute_lifetime_ends_a_busy_session(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    start = utcnow()
    statuses = {}
    for minutes in range(10, 8 * 60 + 11, 10):  # active every ten minutes, past eight hours
        with time_machine.travel(start + timedelta(minutes=minutes)):
            statuses[minutes] = c.get("/api/me").status_code
    assert statuses[470] == 200 and statuses[490] == 401


def test_each_login_gets_a_new_session_id(app) -> None:  # type: ignore[no-untyped-def]
    a, _ = _api_login(app, "gusu.police")
    b, _ = _api_login(app, "gusu.police")
    assert a.cookies.get("fanguai_session") != b.cookies.get("fanguai_session")


def test_lockout_follows_the_exact_sequence(app, session) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert _api_login(app, "gusu.edu", "wrong-password")[1].status_code == 401
        assert _api_login(app, "gusu.edu")[1].status_code == 201  # success resets the counter
        for _ in range(5):
            assert _api_login(app, "gusu.edu", "wrong-password")[1].status_code == 401
        sixth = _api_login(app, "gusu.edu")[1]
        assert sixth.status_code == 401 and sixth.json()["message"] == auth.LOGIN_FAILED_MESSAGE
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        assert _api_login(app, "gusu.edu")[1].status_code == 401
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        assert _api_login(app, "gusu.edu")[1].status_code == 201


def test_one_address_trying_many_accounts_is_throttled(app, session) -> None:  # type: ignore[no-untyped-def]
    names = [f"nobody{i}" for i in range(25)]
    for name in names:
        _api_login(app, name, "Wrong-Password-1", ip="203.0.113.9")
    # Now even a correct password from that address is refused...
    assert _api_login(app, "gusu.civil", ip="203.0.113.9")[1].status_code == 401
    # ...while other addresses log in as usual.
    assert _api_login(app, "gusu.civil", ip="198.51.100.7")[1].status_code == 201


def test_an_admin_unlock_is_audited_and_works(app, login, session) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        _api_login(app, "gusu.edu", "wrong-password")
    target = session.execute(select(User.public_id).where(User.username == "gusu.edu")).scalar_one()
    assert (
        login("secadmin")
        .post(f"/admin/security/users/{target}/unlock", follow_redirects=False)
        .status_code
        == 303
    )
    assert _api_login(app, "gusu.edu")[1].status_code == 201


def test_dormant_accounts_are_disabled_to_the_day(app, session) -> None:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == "jiangsu.edu.liaison")).scalar_one()
    last = user.last_login_at or user.created_at
    with time_machine.travel(last + timedelta(days=89, hours=23), tick=False):
        assert auth.disable_dormant(session, actor=cli_actor("test"), days=90) == []
    with time_machine.travel(last + timedelta(days=90), tick=False):
        disabled = auth.disable_dormant(session, actor=cli_actor("test"), days=90)
    assert "jiangsu.edu.liaison" in disabled
    assert _api_login(app, "jiangsu.edu.liaison")[1].status_code == 401


def test_login_itself_refuses_a_dormant_account(app, session) -> None:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == "gusu.edu")).scalar_one()
    with time_machine.travel((user.last_login_at or user.created_at) + timedelta(days=91)):
        assert _api_login(app, "gusu.edu")[1].status_code == 401
    session.refresh(user)
    assert user.is_active is False and user.disabled_reason == "dormant"


def test_an_expired_password_must_be_changed_first(app, login, session) -> None:  # type: ignore[no-untyped-def]
    user = session.execute(select(User).where(User.username == "gusu.civil")).scalar_one()
    changed = user.password_changed_at or user.created_at
    with time_machine.travel(changed + timedelta(days=60)):
        assert login("gusu.civil").get("/api/me").status_code == 200  # not yet expired
    with time_machine.travel(changed + timedelta(days=91)):
        c = login("gusu.civil")
        assert c.get("/api/me").status_code == 403
        assert c.get("/units", follow_redirects=False).headers["location"] == "/password"
        weak = c.post(
            "/api/session/password", json={"old_password": PASSWORD, "new_password": "woaini1314"}
        )
        assert weak.status_code == 422
        ok = c.post(
            "/api/session/password", json={"old_password": PASSWORD, "new_password": "Tq8#vLm3xR2w"}
        )
        assert ok.status_code == 200 and c.get("/api/me").status_code == 200


def test_passwords_are_stored_only_as_argon2id(session) -> None:  # type: ignore[no-untyped-def]
    for (h,) in session.execute(select(User.password_hash)):
        assert h.startswith("$argon2id$v=19$")
