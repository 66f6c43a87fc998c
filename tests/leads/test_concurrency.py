"""G1-G4 against a real server on loopback (uvicorn in a thread, its own database): concurrent
submissions are neither lost nor duplicated, retries with a key are answered once, concurrent
edits of one version succeed once. Counts only; the timings are in benchmarks/bench_leads.py."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from fanguai.leads.models import Lead
from tests.leads.conftest import SECRET, lead_body


def _database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    base = os.environ.get("FANGUAI_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'leads-load.sqlite3'}"
    url = make_url(base)
    name = f"{url.database}_leads_load"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory, field_crypto) -> Iterator[SimpleNamespace]:  # type: ignore[no-untyped-def]
    import uvicorn

    from fanguai import migrate
    from fanguai.core.actor import cli_actor
    from fanguai.db import Database
    from fanguai.demo import load_all
    from fanguai.reference import ensure_reference_data
    from fanguai.settings import Settings
    from fanguai.web.app import create_app

    url = _database_url(tmp_path_factory.mktemp("leads-load"))
    db = Database.from_url(url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        load_all(session, actor=cli_actor("tests"))
    settings = Settings(
        demo=False, secret_key=SECRET.decode(), cookie_secure=False, database_url=url
    )
    app = create_app(settings, db=db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", db=db, crypto=field_crypto)
    server.should_exit = True
    thread.join(timeout=10)
    db.engine.dispose()


def _rows(live, codes: set[str] | None = None) -> int:  # type: ignore[no-untyped-def]
    with live.db.session() as s:
        stmt = select(func.count()).select_from(Lead)
        if codes is not None:
            stmt = stmt.where(Lead.tracking_code.in_(codes))
        return s.execute(stmt).scalar_one()


def _post(url: str, body: dict, key: str | None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    with httpx.Client(base_url=url, timeout=60) as c:
        return c.post("/api/leads/public", json=body, headers=headers)


def _run(jobs, threads: int) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda job: _post(*job), jobs))


def _check_no_loss_no_duplicate(live, jobs, answers) -> None:  # type: ignore[no-untyped-def]
    assert [r.status_code for r in answers if r.status_code >= 500] == []
    assert {r.status_code for r in answers} == {201}
    by_key: dict[str, set[str]] = {}
    for (_, _, k), r in zip(jobs, answers, strict=True):
        by_key.setdefault(k, set()).add(r.json()["tracking_code"])
    # Every retry got the first answer back; every answer has its row; one row per key.
    assert all(len(codes) == 1 for codes in by_key.values())
    codes = {c for cs in by_key.values() for c in cs}
    assert _rows(live, codes) == len(codes) == len(by_key)


def test_g2_steady_load_with_retries_loses_and_duplicates_nothing(live) -> None:  # type: ignore[no-untyped-def]
    before = _rows(live)
    jobs = [
        (live.url, lead_body(description=f"稳态负载测试线索 {i}"), str(uuid.uuid4()))
        for i in range(100)
    ]
    jobs += [jobs[i] for i in range(0, 100, 10)]  # 10 % retried with the same key and body
    answers = _run(jobs, threads=10)
    _check_no_loss_no_duplicate(live, jobs, answers)
    assert _rows(live) == before + 100


def test_g3_a_burst_loses_and_duplicates_nothing(live) -> None:  # type: ignore[no-untyped-def]
    before = _rows(live)
    jobs = [
        (live.url, lead_body(description=f"突发负载测试线索 {i}"), str(uuid.uuid4()))
        for i in range(100)
    ]
    answers = _run(jobs, threads=30)
    _check_no_loss_no_duplicate(live, jobs, answers)
    assert _rows(live) == before + 100


def test_g4_concurrent_identical_submissions_make_one_row_per_key(live) -> None:  # type: ignore[no-untyped-def]
    before = _rows(live)
    keys = [str(uuid.uuid4()) for _ in range(30)]
    bodies = {k: lead_body(description=f"幂等测试 {k[:8]}") for k in keys}
    jobs = [(live.url, bodies[k], k) for k in keys for _ in range(3)]
    answers = _run(jobs, threads=24)
    assert [r.status_code for r in answers if r.status_code not in (201, 409)] == []
    codes_by_key: dict[str, set[str]] = {}
    for (_, _, k), r in zip(jobs, answers, strict=True):
        if r.status_code == 201:
            codes_by_key.setdefault(k, set()).add(r.json()["tracking_code"])
    assert set(codes_by_key) == set(keys)
    assert all(len(codes) == 1 for codes in codes_by_key.values())
    assert _rows(live) == before + len(keys)
    # The same keys with another body: 422; no key at all: 400.
    reused = _run(
        [(live.url, lead_body(description="另一份内容"), k) for k in keys[:10]], threads=10
    )
    assert Counter(r.status_code for r in reused) == {422: 10}
    missing = _run([(live.url, lead_body(), None) for _ in range(5)], threads=5)
    assert Counter(r.status_code for r in missing) == {400: 5}
    assert _rows(live) == before + len(keys)


def _login(live, username: str) -> httpx.Client:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD, totp_code

    c = httpx.Client(base_url=live.url, timeout=60)
    r = c.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    r = c.post("/api/session/mfa", json={"code": totp_code(live.db, live.crypto, username)})
    assert r.status_code == 200, r.text
    return c


SUZHOU_COUNTIES = ("320505", "320506", "320507", "320509", "320581", "320582", "320583", "320585")


def test_g1_concurrent_edits_of_one_version_succeed_exactly_once(live) -> None:  # type: ignore[no-untyped-def]
    leads = []
    for i in range(5):
        r = _post(live.url, lead_body(description=f"并发编辑测试 {i}"), str(uuid.uuid4()))
        assert r.status_code == 201
        leads.append(r.json()["tracking_code"])
    city = _login(live, "suzhou.police")
    cookies, csrf = dict(city.cookies), city.headers["X-CSRF-Token"]
    items = {
        code: city.get("/api/leads", params={"status": "all", "code": code}).json()["items"][0]
        for code in leads
    }
    assert set(items) == set(leads)

    def transfer(job):  # type: ignore[no-untyped-def]
        item, county = job
        with httpx.Client(
            base_url=live.url, timeout=60, cookies=cookies, headers={"X-CSRF-Token": csrf}
        ) as c:
            return item["id"], c.post(
                f"/api/leads/{item['id']}/transfer",
                json={
                    "version": item["version"],
                    "unit_code": f"{county}-GA",
                    "reason": "并发移交测试",
                },
            ).status_code

    jobs = [(item, county) for item in items.values() for county in SUZHOU_COUNTIES]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(transfer, jobs))
    for item in items.values():
        statuses = Counter(code for lead_id, code in results if lead_id == item["id"])
        assert statuses == {200: 1, 409: len(SUZHOU_COUNTIES) - 1}, statuses
        now = city.get(f"/api/leads/{item['id']}").json()
        assert now["version"] == item["version"] + 1
    city.close()
