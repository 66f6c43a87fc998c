"""Login, logout, sessions and CSRF on the web layer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, submit_login_form


def test_login_with_the_form_starts_a_session(client: TestClient) -> None:
    r = submit_login_form(client, "gusu.police", PASSWORD, next="/measures")
    assert r.status_code == 303 and r.headers["location"] == "/mfa?next=/measures"
    cookie = r.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "Secure" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    assert client.get("/mfa").status_code == 200


def test_login_refuses_an_offsite_next_url(client: TestClient) -> None:
    r = submit_login_form(client, "gusu.police", PASSWORD, next="//evil.example/")
    assert r.headers["location"] == "/mfa?next=/"


def test_login_form_without_its_csrf_cookie_is_refused(client: TestClient) -> None:
    r = client.post(
        "/login",
        data={"username": "gusu.police", "password": PASSWORD, "csrf_token": "forged", "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 400 and "页面已过期" in r.text


def test_unknown_user_and_wrong_password_answer_alike(client: TestClient) -> None:
    a = client.post("/api/session", json={"username": "nobody.here", "password": "x" * 12})
    b = client.post("/api/session", json={"username": "gusu.police", "password": "x" * 12})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (401, a.json())


def test_five_failures_lock_the_account_even_for_the_right_password(client: TestClient) -> None:
    for _ in range(5):
        assert (
            client.post(
                "/api/session", json={"username": "gusu.edu", "password": "wrong-password"}
            ).status_code
            == 401
        )
    r = client.post("/api/session", json={"username": "gusu.edu", "password": PASSWORD})
    assert r.status_code == 401


def test_pages_redirect_to_login_without_a_session(client: TestClient) -> None:
    r = client.get("/measures", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/measures"
    assert client.get("/api/units").status_code == 401


def test_a_write_without_the_csrf_token_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    del c.headers["X-CSRF-Token"]
    r = c.post("/logout", follow_redirects=False)
    assert r.status_code == 403
    assert c.get("/api/me").status_code == 200  # still logged in


def test_logout_ends_the_session_on_the_server(login) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")
    cookie = c.cookies.get("fanguai_session")
    assert c.post("/logout", follow_redirects=False).status_code == 303
    again = TestClient(c.app, base_url="https://testserver")
    again.cookies.set("fanguai_session", cookie)
    assert again.get("/api/me").status_code == 401


def test_a_forged_session_cookie_is_treated_as_no_session(client: TestClient) -> None:
    client.cookies.set("fanguai_session", "forged-token")
    assert client.get("/api/me").status_code == 401


def test_responses_carry_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_an_oversized_body_is_refused_before_reading(client: TestClient) -> None:
    r = client.post(
        "/api/session",
        content=b"x" * (3 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
