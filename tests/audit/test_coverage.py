"""C1, C5, C6 and the audit CLI: every allowed and every denied call leaves a complete record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from fanguai.audit import service as audit
from fanguai.audit.models import AuditEvent
from fanguai.audit.signing import AuditSigner
from fanguai.core.actor import cli_actor
from fanguai.db import utcnow
from tests.access import oracle
from tests.access.test_matrix import _calls, _who

REQUIRED = (
    "at",
    "actor_kind",
    "actor_name",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "source",
    "request_id",
    "client",
)
PERSONAS = [
    "gusu.police",
    "gusu.chief",
    "gusu.edu",
    "jiangsu.office",
    "gusu.school",
    "suzhou.dna",
    "suzhou.police",
    "sysadmin",
    "secadmin",
    "auditor",
]


def _events_for(session, request_id: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(select(AuditEvent).where(AuditEvent.request_id == request_id)).scalars()
    )


def test_every_operation_allowed_and_denied_leaves_a_complete_record(app, login, session) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    clients = {p: login(p) for p in PERSONAS}
    clients["(anonymous)"] = TestClient(app, base_url="https://testserver")
    who = {p: _who(session, p) for p in PERSONAS}
    seen: dict[str, set[str]] = {}
    for op, path, target, _label in _calls(session):
        for persona, client in clients.items():
            response = client.request(
                op["method"], path, json=op.get("body"), follow_redirects=False
            )
            events = _events_for(session, response.headers["x-request-id"])
            assert events, f"{op['id']} as {persona}: no audit record"
            anonymous = persona == "(anonymous)"
            for event in events:
                missing = [
                    f
                    for f in REQUIRED
                    if getattr(event, f) in (None, "") and not (f == "actor_roles" and anonymous)
                ]
                assert not missing, f"{op['id']} as {persona}: missing {missing}"
                assert anonymous or event.actor_unit, f"{op['id']} as {persona}: no unit"
            public = op["needs"] == "public"
            allowed = public or (
                not anonymous
                and oracle.expected_status(op, who[persona], target) == op.get("ok_status", 200)
            )
            seen.setdefault(op["id"], set()).add("allowed" if allowed else "denied")
            outcome = {e.outcome for e in events}
            if allowed and op["method"] != "GET":
                # A write changes its target for the personas after it (a second deactivation
                # meets a conflict); the exact statuses are the matrix's (tests/access).
                assert outcome in ({"success"}, {"failed"}), (op["id"], persona)
            else:
                assert outcome == ({"success"} if allowed else {"denied"}), (op["id"], persona)
    public_ops = {op["id"] for op in oracle.SPEC["operations"] if op["needs"] == "public"}
    not_both = sorted(
        k for k, v in seen.items() if v != {"allowed", "denied"} and k not in public_ops
    )
    assert not_both == [], f"operations not seen both allowed and denied: {not_both}"


def test_login_successes_and_failures_are_recorded(client, session) -> None:  # type: ignore[no-untyped-def]
    ok = client.post(
        "/api/session", json={"username": "gusu.police", "password": "Demo-Persona#2026"}
    )
    bad = client.post("/api/session", json={"username": "gusu.police", "password": "nope"})
    for response, outcome in ((ok, "success"), (bad, "denied")):
        events = _events_for(session, response.headers["x-request-id"])
        assert [e.action for e in events] == ["auth.login"] and events[0].outcome == outcome


def test_a_failed_audit_write_refuses_the_answer(login, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = login("gusu.police")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "append", broken)
    r = c.get("/api/units")
    assert r.status_code == 503 and "items" not in r.text


def test_purge_archives_first_and_keeps_six_months(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import record

    signer = AuditSigner(tmp_path)
    old = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    later = utcnow() + timedelta(days=400)  # everything logged so far is now 400 days old
    with time_machine.travel(later, tick=False):
        for i in range(5):
            record(
                session,
                cli_actor("test"),
                "test.recent",
                outcome="success",
                object_type="x",
                object_id=str(i),
            )
        with pytest.raises(audit.InvalidAuditRequest):
            audit.archive_and_purge(
                session,
                actor=cli_actor("test"),
                signer=signer,
                cutoff=utcnow() - timedelta(days=100),
                archive_dir=tmp_path / "archive",
            )
        result = audit.archive_and_purge(
            session,
            actor=cli_actor("test"),
            signer=signer,
            cutoff=utcnow() - timedelta(days=365),
            archive_dir=tmp_path / "archive",
        )
    assert result["archived"] == old
    left = session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars().all()
    assert left == ["test.recent"] * 5 + ["audit.purge"]
    manifest = json.loads(next((tmp_path / "archive").glob("*.manifest.json")).read_text())
    assert manifest["count"] == old
    body = {k: v for k, v in manifest.items() if k != "signature"}
    assert signer.verify_signature(json.dumps(body, sort_keys=True).encode(), manifest["signature"])
    assert audit.verify_full(session, signer).ok  # the chain continues from the anchor


def test_checkpoints_catch_a_rewritten_chain(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete, update

    from fanguai.audit.models import AuditHead
    from tests.audit.conftest import triggers_off

    signer = AuditSigner(tmp_path)
    cp = audit.checkpoint(session, signer)
    assert audit.verify_full(session, signer).ok
    # An attacker deletes the last row and rewrites the head to match: the chain alone agrees...
    last = session.get(AuditEvent, cp.seq)
    prev = session.get(AuditEvent, cp.seq - 1)
    with triggers_off(session):
        session.execute(delete(AuditEvent).where(AuditEvent.seq == last.seq))
        session.execute(update(AuditHead).values(seq=prev.seq, row_hash=prev.row_hash))
    assert audit.verify(session).ok
    # ...the signed checkpoint does not.
    result = audit.verify_full(session, signer)
    assert result.first_bad_seq == cp.seq


def test_audit_verify_command_exits_0_then_1_naming_the_row(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text, update

    from fanguai.cli.main import app
    from fanguai.db import Database
    from fanguai.settings import get_settings

    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    monkeypatch.setenv("FANGUAI_DATABASE_URL", url)
    monkeypatch.setenv("FANGUAI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["audit", "checkpoint"]).exit_code == 0
        ok = runner.invoke(app, ["audit", "verify"])
        assert ok.exit_code == 0 and "intact" in ok.stdout
        db = Database.from_url(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(actor_name="x"))
        bad = runner.invoke(app, ["audit", "verify", "--json"])
        assert bad.exit_code == 1 and json.loads(bad.stdout)["first_bad_seq"] == 1
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("months_back", "days_extra", "allowed"),
    [(6, 0, True), (6, -1, False), (5, 27, False), (12, 0, True)],
)
def test_purge_never_reaches_into_the_last_six_calendar_months(  # type: ignore[no-untyped-def]
    session, tmp_path, months_back, days_extra, allowed
) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    year, month = divmod(now.year * 12 + now.month - 1 - months_back, 12)
    cutoff = datetime(year, month + 1, min(now.day, 28), tzinfo=UTC) + timedelta(days=-days_extra)
    call = lambda: audit.archive_and_purge(  # noqa: E731
        session,
        actor=cli_actor("test"),
        signer=AuditSigner(tmp_path),
        cutoff=cutoff,
        archive_dir=tmp_path / "archive",
        now=now,
    )
    if allowed:
        call()
    else:
        with pytest.raises(audit.InvalidAuditRequest):
            call()


@pytest.mark.parametrize(
    "evil", ["a\rb", "a\x1b[31mred", "a\u2028b", "a\u2029b", 'a"b\nc', "a\x00b"]
)
def test_log_injection_is_neutralised_in_every_text_field(session, evil) -> None:  # type: ignore[no-untyped-def]
    from fanguai.core.actions import record

    record(
        session,
        cli_actor(evil),
        "test.inject",
        outcome="success",
        object_type="x",
        object_id=evil,
        message=evil,
        detail={"note": evil},
    )
    last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    for value in (last.actor_name, last.object_id, last.message, last.detail["note"]):
        assert not any(ord(ch) < 32 or ch in "\u2028\u2029\x7f" for ch in value), repr(value)
