"""A4/A5: the second factor guards every operation; codes are single-use; sessions die on change."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanguai.org.models import User
from fanguai.security import mfa, totp
from fanguai.web.deps import declared_permission, iter_api_routes
from tests.conftest import PASSWORD, submit_login_form, totp_code

FIRST_FACTOR_ROUTES = {
    "/mfa",
    "/mfa/enrol",
    "/logout",
    "/api/session/mfa",
    "/api/session/mfa/enrol",
    "/api/session/mfa/enrol/confirm",
}


def _password_only(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201 and r.json()["mfa_required"] is True
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_every_operation_refuses_a_password_only_session(app) -> None:  # type: ignore[no-untyped-def]
    c = _password_only(app, "suzhou.police")
    checked = 0
    for method, path, route in iter_api_routes(app):
        permission = declared_permission(route.dependant)
        if permission.permission is None or path in FIRST_FACTOR_ROUTES:
            continue
        url = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        r = c.request(method, url, follow_redirects=False)
        checked += 1
        if path.startswith("/api/"):
            assert r.status_code == 401 and r.json()["error"] == "mfa_required", (method, path)
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/mfa"), (method, path)
        assert "苏州市公安局" not in r.text
    assert checked > 20


def test_a_code_cannot_be_used_twice(app, db, field_crypto) -> None:  # type: ignore[no-untyped-def]
    code = totp_code(db, field_crypto, "gusu.edu")
    first = _password_only(app, "gusu.edu")
    assert first.post("/api/session/mfa", json={"code": code}).status_code == 200
    second = _password_only(app, "gusu.edu")
    r = second.post("/api/session/mfa", json={"code": code})
    assert r.status_code == 422 and "验证码错误或已使用" in r.json()["message"]
    assert second.get("/api/me").status_code == 401


def test_five_wrong_codes_lock_the_account(app, session) -> None:  # type: ignore[no-untyped-def]
    c = _password_only(app, "gusu.civil")
    for _ in range(5):
        c.post("/api/session/mfa", json={"code": "000000"})
    locked = session.execute(select(User).where(User.username == "gusu.civil")).scalar_one()
    session.refresh(locked)
    assert locked.locked_until is not None
    assert c.get("/api/me").status_code == 401  # the half-open session died with the lock


def test_a_new_user_enrols_with_a_qr_code_and_gets_single_use_recovery_codes(
    app, session, login, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actor import cli_actor
    from fanguai.org.actions import create_user
    from fanguai.org.schemas import UserCreate

    user = create_user(
        session,
        actor=cli_actor("test"),
        data=UserCreate(
            username="new.officer",
            display_name="诸葛亮",
            unit_code="320508-GA",
            password=PASSWORD,
            roles=["police_officer"],
        ),
    )
    enrolment_code = mfa.issue_enrolment_code(
        session, crypto=field_crypto, actor=cli_actor("test"), user_public_id=user.public_id
    )
    c = _password_only(app, "new.officer")
    page = c.get("/mfa", follow_redirects=False)
    assert page.headers["location"].startswith("/mfa/enrol")
    enrol = c.get("/mfa/enrol")
    assert enrol.status_code == 200 and "data:image/svg+xml;base64," in enrol.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', enrol.text).group(1)
    assert len(totp.new_secret()) * 5 >= 128  # seeds are at least 128 bits
    from fanguai.db import utcnow

    no_code = c.post(
        "/api/session/mfa/enrol/confirm",
        json={"code": totp.code_at(secret, utcnow()), "enrolment_code": "AAAA-AAAA"},
    )
    assert no_code.status_code == 422 and c.get("/api/me").status_code == 401
    codes = c.post(
        "/api/session/mfa/enrol/confirm",
        json={"code": totp.code_at(secret, utcnow()), "enrolment_code": enrolment_code},
    ).json()["recovery_codes"]
    assert len(codes) == 10 and c.get("/api/me").status_code == 200
    again = _password_only(app, "new.officer")
    assert again.post("/api/session/mfa", json={"code": codes[0]}).status_code == 200
    third = _password_only(app, "new.officer")
    assert third.post("/api/session/mfa", json={"code": codes[0]}).status_code == 422


def test_the_login_form_sends_the_user_to_the_second_factor(client) -> None:  # type: ignore[no-untyped-def]
    r = submit_login_form(client, "gusu.police", PASSWORD, next="/units")
    assert r.headers["location"] == "/mfa?next=/units"
    assert client.get("/units", follow_redirects=False).headers["location"].startswith("/mfa")


@pytest.mark.parametrize("change", ["roles", "disable"])
def test_a_role_change_or_disabling_ends_the_users_sessions(login, session, change) -> None:  # type: ignore[no-untyped-def]
    officer = login("gusu.police")
    assert officer.get("/api/me").status_code == 200
    target = session.execute(
        select(User.public_id).where(User.username == "gusu.police")
    ).scalar_one()
    if change == "roles":
        admin = login("secadmin")
        r = admin.post(
            f"/admin/security/users/{target}/roles",
            data={"role": ["viewer"]},
            follow_redirects=False,
        )
    else:
        admin = login("sysadmin")
        r = admin.post(
            f"/admin/system/users/{target}/disable", data={"reason": "调离"}, follow_redirects=False
        )
    assert r.status_code == 303
    assert officer.get("/api/me").status_code == 401


def test_a_second_factor_reset_does_not_let_a_password_alone_enrol(
    app, login, session, field_crypto
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.db import utcnow

    target = session.execute(select(User.public_id).where(User.username == "gusu.edu")).scalar_one()
    page = login("secadmin").post(f"/admin/security/users/{target}/mfa-reset")
    code = re.search(r"一次性开通码：([0-9A-Z]{4}-[0-9A-Z]{4})", page.text).group(1)
    thief = _password_only(app, "gusu.edu")
    secret = re.search(
        r'<code class="secret">([A-Z2-7]+)</code>', thief.get("/mfa/enrol").text
    ).group(1)
    refused = thief.post(
        "/api/session/mfa/enrol/confirm",
        json={"code": totp.code_at(secret, utcnow()), "enrolment_code": "ZZZZ-ZZZZ"},
    )
    assert refused.status_code == 422 and thief.get("/api/me").status_code == 401
    owner = _password_only(app, "gusu.edu")
    secret = re.search(
        r'<code class="secret">([A-Z2-7]+)</code>', owner.get("/mfa/enrol").text
    ).group(1)
    ok = owner.post(
        "/api/session/mfa/enrol/confirm",
        json={"code": totp.code_at(secret, utcnow()), "enrolment_code": code},
    )
    assert ok.status_code == 200 and owner.get("/api/me").status_code == 200
