"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when
FANGUAI_TEST_DATABASE_URL is set), each test in a transaction that is rolled back."""

from __future__ import annotations

import os

os.environ.setdefault("FANGUAI_ARGON2_PROFILE", "fast")  # before fanguai.security is imported

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from fanguai import migrate
from fanguai.core.actor import cli_actor
from fanguai.db import Database, make_engine
from fanguai.demo import load_all
from fanguai.reference import ensure_reference_data
from fanguai.settings import Settings

PASSWORD = "Demo-Persona#2026"


def pytest_configure(config: pytest.Config) -> None:
    fault = os.environ.get("FANGUAI_INJECT_FAULT")
    if fault:  # M1: a deliberately broken platform, to show that the tests notice
        from tests.faults import inject

        config._fanguai_fault_patches = inject(fault)  # type: ignore[attr-defined]


def test_database_url(tmp_dir: Path) -> str:
    return os.environ.get("FANGUAI_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def field_crypto(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A key store of the test run's own (separate from the database, as in production)."""
    from fanguai.crypto.fields import FieldCrypto
    from fanguai.crypto.keystore import KeyStore
    from fanguai.crypto.provider import get_provider
    from fanguai.security.crypto_runtime import use_field_crypto

    provider = get_provider()
    path = tmp_path_factory.mktemp("keys") / "keystore.sqlite3"
    keystore = KeyStore(
        f"sqlite:///{path}", master_key=provider.random_bytes(16), provider=provider
    )
    keystore.initialise()
    crypto = FieldCrypto(keystore, provider)
    use_field_crypto(crypto)
    yield crypto
    use_field_crypto(None)
    keystore.close()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, field_crypto) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    url = test_database_url(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    if make_url(url).get_backend_name() == "postgresql":
        _reset_postgres(engine)
    migrate.upgrade(engine)
    base = Database(engine)
    with base.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        load_all(session, actor=cli_actor("tests"))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture
def db(connection: Connection) -> Database:
    return Database.bound_to(connection)


@pytest.fixture
def session(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as s:
        yield s


@pytest.fixture
def settings() -> Settings:
    return Settings(
        demo=False, secret_key="test-secret-key-0123456789abcdefghijkl", cookie_secure=True
    )


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from fanguai.web.app import create_app

    return create_app(settings, db=db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def submit_login_form(client: TestClient, username: str, password: str = PASSWORD, next: str = "/"):  # type: ignore[no-untyped-def]
    """Open the login page and post its form as a browser would (with its CSRF token)."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next},
        follow_redirects=False,
    )


def totp_code(db: Database, crypto, username: str) -> str:  # type: ignore[no-untyped-def]
    """A code the persona's authenticator would show that the server has not seen used yet."""
    from sqlalchemy import select

    from fanguai.db import utcnow
    from fanguai.org.models import User
    from fanguai.security import totp

    with db.session() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        secret = crypto.decrypt(
            user.totp_secret,
            subject_id=f"user:{user.public_id}",
            table="staff_user",
            column="totp_secret",
            row_id=user.public_id,
        )
        last = user.totp_last_step
    now = totp.time_step(utcnow())
    step = now if last is None or last < now else last + 1
    assert step <= now + 1, f"{username} used up every code of this time window"
    return totp.code_at(secret, step * totp.STEP_SECONDS)


@pytest.fixture
def login(app, db, field_crypto):  # type: ignore[no-untyped-def]
    """``login("gusu.police")`` → a client past both factors (csrf in ``.csrf``)."""
    clients: list[TestClient] = []

    def _login(username: str, password: str = PASSWORD, *, mfa: bool = True) -> TestClient:
        c = TestClient(app, base_url="https://testserver")
        clients.append(c)
        r = c.post("/api/session", json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        c.csrf = r.json()["csrf_token"]  # type: ignore[attr-defined]
        c.headers["X-CSRF-Token"] = c.csrf  # type: ignore[attr-defined]
        if mfa:
            r = c.post("/api/session/mfa", json={"code": totp_code(db, field_crypto, username)})
            assert r.status_code == 200, r.text
        return c

    yield _login
    for c in clients:
        c.close()
