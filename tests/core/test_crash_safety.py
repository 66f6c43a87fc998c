"""F1: kill -9 during writes on SQLite loses no acknowledged write and leaves no half-write."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from fanguai import migrate
from fanguai.audit import service as audit
from fanguai.audit.models import AuditEvent
from fanguai.core.actor import cli_actor
from fanguai.db import Database
from fanguai.org.models import User, user_role
from fanguai.reference import ensure_reference_data

CYCLES = int(
    os.environ.get("FANGUAI_CRASH_CYCLES", "300" if os.environ.get("SEC_EXTENDED") else "30")
)
WRITER = Path(__file__).with_name("crash_writer.py")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("crash") / "template.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
    db.engine.dispose()
    return path


def _run_cycle(url: str, prefix: str, rng: random.Random) -> list[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), url, prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == "READY", proc.stderr.read() if proc.stderr else first
    time.sleep(rng.uniform(0.05, 0.4))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return [line.split()[1] for line in out.splitlines() if line.startswith("ACK ")]


def test_kill_9_during_writes_loses_nothing_acknowledged(template_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed = int(os.environ.get("FANGUAI_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    path = tmp_path / "crash.sqlite3"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    acknowledged: list[str] = []
    for cycle in range(CYCLES):
        acknowledged += _run_cycle(url, f"c{cycle}", rng)
        db = Database.from_url(url)
        with db.session() as session:
            where = f"seed {seed}, cycle {cycle}"
            assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok", where
            stored = set(
                session.execute(select(User.username).where(User.username.like("c%"))).scalars()
            )
            lost = set(acknowledged) - stored
            assert not lost, f"{where}: acknowledged but lost: {sorted(lost)[:5]}"
            # Half-written: a user without both roles, or without its audit record.
            roles = dict(
                session.execute(
                    select(user_role.c.user_id, func.count()).group_by(user_role.c.user_id)
                ).all()
            )
            audited = set(
                session.execute(
                    select(AuditEvent.object_id).where(
                        AuditEvent.action == "org.create_user", AuditEvent.outcome == "success"
                    )
                ).scalars()
            )
            for user in session.execute(select(User).where(User.username.like("c%"))).scalars():
                assert roles.get(user.id) == 2, (
                    f"{where}: {user.username} has a half-written role set"
                )
                assert user.public_id in audited, f"{where}: {user.username} has no audit record"
            assert len(audited) >= len(stored)
            result = audit.verify(session)
            assert result.ok, (
                f"{where}: audit chain broken at {result.first_bad_seq}: {result.reason}"
            )
        db.engine.dispose()
    assert len(acknowledged) > CYCLES, (
        f"seed {seed}: the writer hardly wrote; the test proves little"
    )
