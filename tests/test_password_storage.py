"""A6: known passwords are nowhere in the database files, the WAL or the logs."""

from __future__ import annotations

import base64
import logging

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from fanguai import migrate
from fanguai.core.actor import cli_actor
from fanguai.db import Database
from fanguai.org.actions import create_user
from fanguai.org.models import User
from fanguai.org.schemas import UserCreate
from fanguai.reference import ensure_reference_data
from fanguai.settings import Settings

PASSWORDS = ["Kq9#mZt4Lw2x", "Vb7$rNc3Hs8p", "Pd5&yGf6Jk1q"]


def _encodings(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [
        raw,
        base64.b64encode(raw),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        secret.encode("utf-16-le"),
    ]


def test_known_passwords_leave_no_trace_in_files_or_logs(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "a6.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("test"))
        for i, password in enumerate(PASSWORDS):
            create_user(
                session,
                actor=cli_actor("test"),
                data=UserCreate(
                    username=f"a6.user{i}",
                    display_name="测试",
                    unit_code="320508-GA",
                    password=password,
                    roles=["viewer"],
                ),
            )
    app = __import__("fanguai.web.app", fromlist=["create_app"]).create_app(
        Settings(demo=False, secret_key="k" * 40, data_dir=tmp_path), db=db
    )
    client = TestClient(app, base_url="https://testserver")
    for i, password in enumerate(PASSWORDS):
        client.post("/api/session", json={"username": f"a6.user{i}", "password": password})
        client.post("/api/session", json={"username": f"a6.user{i}", "password": password + "x"})
    with db.session() as session:
        hashes = (
            session.execute(select(User.password_hash).where(User.username.like("a6.%")))
            .scalars()
            .all()
        )
    assert all(h.startswith("$argon2id$") for h in hashes)
    with db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
    blobs = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    blobs["logs"] = caplog.text.encode()
    found = [
        (name, password)
        for password in PASSWORDS
        for name, blob in blobs.items()
        if any(e in blob for e in _encodings(password))
    ]
    assert found == []
    # Control: the scan does see a password written in clear.
    (tmp_path / "control.txt").write_text(PASSWORDS[0])
    assert any(e in (tmp_path / "control.txt").read_bytes() for e in _encodings(PASSWORDS[0]))
    db.engine.dispose()
