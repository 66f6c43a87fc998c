"""D1 (no clear sentinel at rest), C9 (none in logs or error answers), D8 (no residue after a
delete with ``secure_delete``).

Everything runs on a SQLite file database of its own under tmp_path, with its own key store,
and the process's temporary folder pointed into tmp_path: the scan then covers every byte the
test could have left behind (database, -wal, -shm, key store, backup, temporary files).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, func, select
from sqlalchemy.engine import Engine

from fanguai import migrate
from fanguai.backup import create_backup
from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.provider import get_provider
from fanguai.db import Database, make_engine, utcnow
from fanguai.outbox import OutboxMessage
from fanguai.people.idcard import check_digit
from fanguai.security import crypto_runtime, totp
from fanguai.settings import Settings
from tests.test_backup import PASSWORD, make_users, open_keystore, sqlite_url

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "gb18030")

_ID17 = "32050819850601123"
SENTINEL_ID = _ID17 + check_digit(_ID17)  # a well-formed ID number (the API checks it)
SENTINEL_ID_BAD = _ID17 + ("0" if SENTINEL_ID[-1] != "0" else "1")  # wrong check digit
SENTINEL_PERSON = {
    "kind": "parent",
    "name": "SENTINEL-NAME-欧阳哨兵",
    "former_names": ["SENTINEL-FORMER-欧阳旧名"],
    "sex": "male",
    "id_card": SENTINEL_ID,
    "birth_date": "1985-06-01",
    "phone": "+86-13800001111",
    "address": "SENTINEL-ADDR-江苏省苏州市哨兵路1号",
    "notes": "SENTINEL-NOTE-哨兵叙述 SENTINEL-ID-320508198506011234 SENTINEL-PHONE-13800001111",
}
SENTINELS = {
    "name": SENTINEL_PERSON["name"],
    "former_name": SENTINEL_PERSON["former_names"][0],
    "id_card": SENTINEL_ID,
    "id_card_refused": SENTINEL_ID_BAD,
    "birth_date": SENTINEL_PERSON["birth_date"],
    "phone": "13800001111",
    "address": SENTINEL_PERSON["address"],
    "note": "SENTINEL-NOTE-哨兵叙述",
    "note_id": "SENTINEL-ID-320508198506011234",
    "note_phone": "SENTINEL-PHONE-13800001111",
}


# -- the scanner ----------------------------------------------------------------------------------


def needles(value: str) -> dict[str, bytes]:
    """The byte strings a value may be stored as: four text encodings, JSON-escaped, URL-quoted."""
    candidates: list[tuple[str, bytes]] = []
    for encoding in ENCODINGS:
        try:
            candidates.append((encoding, value.encode(encoding)))
        except UnicodeEncodeError:  # the encoding cannot hold the value: nothing to look for
            continue
    # JSON columns and log lines may hold ``\u6b27`` escapes; URLs hold percent-escapes.
    candidates.append(("json-ascii", json.dumps(value)[1:-1].encode("ascii")))
    candidates.append(("url", quote(value).encode("ascii")))
    found: dict[str, bytes] = {}
    for name, needle in candidates:
        if needle not in found.values():  # an ASCII value is the same bytes in most of them
            found[name] = needle
    return found


def scan(blobs: Iterable[tuple[str, bytes]], sentinels: dict[str, str]) -> list[str]:
    """Every (where, sentinel, encoding) hit, as readable lines."""
    hits = []
    for where, blob in blobs:
        for label, value in sentinels.items():
            for encoding, needle in needles(value).items():
                count = blob.count(needle)
                if count:
                    hits.append(f"{where}: {label} as {encoding} ×{count}")
    return hits


def files_under(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield str(path.relative_to(root)), path.read_bytes()


# -- web helpers ----------------------------------------------------------------------------------


def _issue_enrolment_code(app, username: str) -> str:  # type: ignore[no-untyped-def]
    """What the security admin would hand the user in person."""
    from sqlalchemy import select

    from fanguai.core.actor import cli_actor
    from fanguai.org.models import User
    from fanguai.security import mfa
    from fanguai.security.crypto_runtime import field_crypto

    with app.state.db.session() as session:
        user_id = session.execute(
            select(User.public_id).where(User.username == username)
        ).scalar_one()
        return mfa.issue_enrolment_code(
            session, crypto=field_crypto(), actor=cli_actor("test"), user_public_id=user_id
        )


def web_login(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A client past both factors: password, then TOTP enrolment with a first code."""
    client = TestClient(app, base_url="https://testserver")
    r = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    r = client.post("/api/session/mfa/enrol")
    assert r.status_code == 200, r.text
    code = totp.code_at(r.json()["secret"], totp.time_step(utcnow()) * totp.STEP_SECONDS)
    enrolment_code = _issue_enrolment_code(app, username)
    r = client.post(
        "/api/session/mfa/enrol/confirm", json={"code": code, "enrolment_code": enrolment_code}
    )
    assert r.status_code == 200, r.text
    return client


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder, moved inside tmp_path for the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def own_crypto(tmp_path: Path) -> Iterator[FieldCrypto]:
    """A key store of this test's own, installed as the process's field crypto."""
    provider = get_provider()
    keystore = open_keystore(
        tmp_path / "keys" / "keystore.sqlite3", provider.random_bytes(16), provider
    )
    crypto = FieldCrypto(keystore, provider)
    previous = crypto_runtime._current  # no public getter: reading it must not build one
    crypto_runtime.use_field_crypto(crypto)
    yield crypto
    crypto_runtime.use_field_crypto(previous)
    keystore.close()


# -- D1 and C9 ------------------------------------------------------------------------------------


def test_d1_c9_no_sentinel_in_clear_at_rest_in_logs_or_in_error_answers(
    tmp_path: Path,
    private_tmp: Path,
    own_crypto: FieldCrypto,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    db_file = data_dir / "fanguai.sqlite3"
    engine = make_engine(sqlite_url(db_file))
    make_users(engine)
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told: statements, parameters and rows too.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")

    from fanguai.web.app import create_app

    settings = Settings(
        demo=False,
        data_dir=data_dir,
        secret_key="leak-test-secret-key-0123456789abcdefghij",
        cookie_secure=True,
    )
    app = create_app(settings, db=Database(engine))
    answers: list[tuple[str, bytes]] = []  # error answers (C9): none may echo a sentinel

    with TestClient(app, base_url="https://testserver") as anonymous:
        for r in (
            anonymous.post("/api/people", json=SENTINEL_PERSON),
            anonymous.post("/api/people/search", json={"id_card": SENTINEL_ID}),
            anonymous.post("/api/session", json={"username": "bk.officer", "password": "wrong"}),
        ):
            assert r.status_code >= 400
            answers.append((f"anonymous {r.request.url.path} {r.status_code}", r.content))
        assert anonymous.get("/login").status_code == 200

    officer, chief = web_login(app, "bk.officer"), web_login(app, "bk.chief")
    created = officer.post("/api/people", json=SENTINEL_PERSON)
    assert created.status_code == 201, created.text
    person = created.json()["id"]
    assert not scan([("create answer", created.content)], SENTINELS)  # masked
    for body in (
        {**SENTINEL_PERSON, "phone": "SENTINEL-PHONE-13800001111"},  # fails the phone pattern
        {**SENTINEL_PERSON, "id_card": SENTINEL_ID_BAD},  # fails the check digit
        {**SENTINEL_PERSON, "name": SENTINEL_PERSON["name"] * 10},  # too long
    ):
        refused = officer.post("/api/people", json=body)
        assert refused.status_code == 422, refused.text
        answers.append((f"refused create {refused.status_code}", refused.content))
    found = officer.post("/api/people/search", json={"id_card": SENTINEL_ID})
    assert found.status_code == 200 and found.json()["total"] == 1
    assert officer.get(f"/api/people/{person}").status_code == 200
    assert officer.get("/api/people").json()["total"] == 1
    denied = officer.post(
        f"/api/people/{person}/reveal", json={"fields": ["id_card"], "reason": "核实身份"}
    )
    assert denied.status_code == 403
    answers.append(("officer reveal 403", denied.content))
    revealed = chief.post(
        f"/api/people/{person}/reveal",
        json={"fields": ["name", "id_card", "phone", "address"], "reason": "核实身份"},
    )
    assert revealed.status_code == 200 and revealed.json()["id_card"] == SENTINEL_ID
    missing = officer.get("/api/people/00000000-0000-0000-0000-000000000000")
    answers.append(("unknown person 404", missing.content))
    for client in (officer, chief):
        client.close()

    provider = own_crypto.provider
    backup = create_backup(
        engine, own_crypto.keystore, provider, tmp_path / "backup.fgbk", actor=cli_actor("t")
    )
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT name, notes FROM person").one()
    assert all(str(v).startswith("fg1:") for v in stored)  # the fields really are encrypted

    captured = capfd.readouterr()
    logs = [
        ("captured log", caplog.text.encode("utf-8")),
        ("stdout", captured.out.encode("utf-8")),
        ("stderr", captured.err.encode("utf-8")),
    ]
    assert "INSERT INTO person" in caplog.text  # DEBUG capture really saw the statements

    live = dict(files_under(tmp_path))
    for name in ("fanguai.sqlite3", "fanguai.sqlite3-wal", "fanguai.sqlite3-shm"):
        assert f"data/{name}" in live, sorted(live)
    assert backup.path.name in live and "keys/keystore.sqlite3" in live
    hits = scan([*live.items(), *logs, *answers], SENTINELS)

    engine.dispose()  # the last connection folds the WAL back into the database file
    hits += scan([(f"after close {k}", v) for k, v in files_under(tmp_path)], SENTINELS)
    assert hits == [], "\n".join(hits)

    # Positive control: the same scanner finds a sentinel written in clear, in any encoding.
    control = tmp_path / "control" / "scratch.bin"
    control.parent.mkdir()
    control.write_bytes(
        b"\x00".join(SENTINELS["name"].encode(e) for e in ("gb18030", "utf-16-be"))
        + SENTINELS["id_card"].encode("utf-16-le")
    )
    found_hits = scan(files_under(control.parent), SENTINELS)
    assert any("name as gb18030" in h for h in found_hits)
    assert any("name as utf-16-be" in h for h in found_hits)
    assert any("id_card as utf-16-le" in h for h in found_hits)
    control.unlink()


# -- D8 -------------------------------------------------------------------------------------------

SENTINEL_D8 = "SENTINEL-D8-RESIDUE-5a1c7e"  # ASCII: the JSON column stores non-ASCII escaped


def _insert_delete_checkpoint(path: Path, *, secure_delete: bool) -> tuple[int, int]:
    """Insert a clear sentinel, delete it, checkpoint; (copies in db + wal, wal size)."""
    engine: Engine = make_engine(sqlite_url(path))
    if not secure_delete:

        @event.listens_for(engine, "connect")
        def _off(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Runs after fanguai's own pragmas (listeners fire in order of registration).
            dbapi_connection.execute("PRAGMA secure_delete=OFF")

    migrate.upgrade(engine)
    actor = cli_actor("tests")
    with Database(engine).session() as session:
        with action(session, actor, "test.d8_insert", object_type="outbox"):
            session.add(OutboxMessage(kind="test.d8", payload={"note": SENTINEL_D8}))
        with action(session, actor, "test.d8_delete", object_type="outbox"):
            session.execute(delete(OutboxMessage).where(OutboxMessage.kind == "test.d8"))
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == int(secure_delete)
        busy, _frames, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        assert busy == 0
        wal = Path(f"{path}-wal")
        blobs = [(path.name, path.read_bytes()), (wal.name, wal.read_bytes())]
        wal_size = wal.stat().st_size
    engine.dispose()
    copies = sum(blob.count(SENTINEL_D8.encode()) for _, blob in blobs)
    return copies, wal_size


def test_d8_a_deleted_value_leaves_no_bytes_with_secure_delete_on(tmp_path: Path) -> None:
    copies, wal_size = _insert_delete_checkpoint(tmp_path / "on.sqlite3", secure_delete=True)
    assert wal_size == 0 and copies == 0


def test_d8_control_without_secure_delete_the_deleted_bytes_remain(tmp_path: Path) -> None:
    # Shows that the test above can fail: SQLite only frees the cell unless told to wipe it.
    copies, wal_size = _insert_delete_checkpoint(tmp_path / "off.sqlite3", secure_delete=False)
    print(f"\nD8 control: secure_delete OFF leaves {copies} copies (WAL {wal_size} bytes)")
    assert wal_size == 0 and copies >= 1
