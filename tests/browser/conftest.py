"""A real server on loopback with a demo database, and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("FANGUAI_REQUIRE_BROWSER"):
            pytest.fail("FANGUAI_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(live) -> str:  # type: ignore[no-untyped-def]
    """The live server's base URL."""
    return live.url


@pytest.fixture(scope="session")
def live_db(live):  # type: ignore[no-untyped-def]
    """The live server's database: run the worker on it with a controlled clock
    (``fanguai.worker.run_once(live_db, now)``) or check what a journey stored."""
    return live.db


@pytest.fixture(scope="session")
def live(tmp_path_factory, field_crypto) -> Iterator[SimpleNamespace]:  # type: ignore[no-untyped-def]
    import uvicorn

    from fanguai import migrate
    from fanguai.core.actor import cli_actor
    from fanguai.db import Database
    from fanguai.demo import load_all
    from fanguai.reference import ensure_reference_data
    from fanguai.settings import Settings
    from fanguai.web.app import create_app

    path = tmp_path_factory.mktemp("live") / "demo.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        load_all(session, actor=cli_actor("tests"))
    app = create_app(
        Settings(demo=True, database_url=f"sqlite:///{path}", data_dir=path.parent), db=db
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", db=db, data_dir=path.parent)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def sign_in(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """Log ``username`` in from ``target`` (a page that needs a login) through both factors,
    as a person would, and wait until ``target`` is shown.

    Demo mode shows on the second-factor page the code the server will accept. Journeys log the
    same personas in many times; when both this and the next 30-second window's codes have been
    used, the page shows none, and this waits for the next window."""
    import re as _re
    import time as _time

    page.goto(f"{base}{target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Demo-Persona#2026")
    page.click("button[type=submit]")
    page.wait_for_url(_re.compile(r".*/mfa\?next=.*"))
    for _ in range(3):
        found = _re.search(r"\b(\d{6})\b", page.inner_text("main"))
        if found:
            break
        page.wait_for_timeout((31 - _time.time() % 30) * 1000)
        page.reload()
    assert found, "the demo second-factor page shows no code"
    page.fill("input[name=code]", found.group(1))
    page.click("main button[type=submit]")
    page.wait_for_url(_re.compile(rf".*{_re.escape(target)}$"))
