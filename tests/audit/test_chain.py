"""C3/C4: the chain names the first bad row for every kind of tampering; the app cannot edit it."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from fanguai.audit import service as audit
from fanguai.audit.models import AuditEvent
from fanguai.core.actions import action, record
from fanguai.core.actor import cli_actor
from tests.audit.conftest import triggers_off

COLUMNS = [c.name for c in AuditEvent.__table__.columns]


def _grow(session, n: int = 40) -> list[int]:  # type: ignore[no-untyped-def]
    for i in range(n):
        record(
            session,
            cli_actor("test"),
            "test.event",
            outcome="success",
            object_type="x",
            object_id=f"obj-{i}",
            detail={"i": i},
        )
    return list(session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars())


def _row(session, seq: int) -> dict:  # type: ignore[no-untyped-def]
    return dict(
        session.execute(select(AuditEvent.__table__).where(AuditEvent.seq == seq)).mappings().one()
    )


def _edit(session, seqs, rng):  # type: ignore[no-untyped-def]
    seq = rng.choice(seqs)
    column = rng.choice(
        [
            "actor_name",
            "outcome",
            "object_id",
            "action",
            "message",
            "prev_hash",
            "row_hash",
            "client",
            "request_id",
        ]
    )
    session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values({column: "forged"}))
    return seq


def _delete_middle(session, seqs, rng):  # type: ignore[no-untyped-def]
    seq = rng.choice(seqs[:-1])
    session.execute(delete(AuditEvent).where(AuditEvent.seq == seq))
    return seq


def _truncate(session, seqs, rng):  # type: ignore[no-untyped-def]
    k = rng.randint(1, 5)
    first = seqs[-k]
    session.execute(delete(AuditEvent).where(AuditEvent.seq >= first))
    return first


def _swap(session, seqs, rng):  # type: ignore[no-untyped-def]
    a, b = sorted(rng.sample(seqs, 2))
    ra, rb = _row(session, a), _row(session, b)
    body = [c for c in COLUMNS if c != "seq"]
    session.execute(update(AuditEvent).where(AuditEvent.seq == a).values({c: rb[c] for c in body}))
    session.execute(update(AuditEvent).where(AuditEvent.seq == b).values({c: ra[c] for c in body}))
    return a


def _insert_end(session, seqs, rng):  # type: ignore[no-untyped-def]
    last = _row(session, seqs[-1])
    forged = {**last, "seq": seqs[-1] + 1, "prev_hash": last["row_hash"], "actor_name": "ghost"}
    ev = AuditEvent(**{k: v for k, v in forged.items()})
    forged["row_hash"] = audit.row_hash(ev)  # a well-formed row: only the head betrays it
    session.execute(insert(AuditEvent).values(forged))
    return seqs[-1] + 1


def _insert_middle(session, seqs, rng):  # type: ignore[no-untyped-def]
    at = rng.choice(seqs[1:])
    for seq in reversed([s for s in seqs if s >= at]):
        session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq + 1))
    prev = _row(session, at - 1)
    forged = {**prev, "seq": at, "prev_hash": prev["row_hash"], "actor_name": "ghost"}
    forged["row_hash"] = audit.row_hash(AuditEvent(**forged))
    session.execute(insert(AuditEvent).values(forged))
    return at + 1  # the forged row chains well; the row after it no longer does


TAMPERINGS = [_edit, _delete_middle, _truncate, _swap, _insert_end, _insert_middle]


def test_verify_detects_200_of_200_single_tamperings(connection, db) -> None:  # type: ignore[no-untyped-def]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    detected = 0
    with db.session() as session:
        seqs = _grow(session, 300)
        assert audit.verify(session).ok
    for i in range(200):
        kind = TAMPERINGS[i % len(TAMPERINGS)]
        nested = connection.begin_nested()
        with db.session() as session:
            with triggers_off(session):
                expected = kind(session, seqs, rng)
                session.flush()
            result = audit.verify(session)
            assert result.first_bad_seq == expected, (
                f"seed {seed}, tampering {i} ({kind.__name__}): expected {expected}, got {result}"
            )
            detected += 1
        nested.rollback()
    assert detected == 200
    with db.session() as session:  # and no false alarm on the untouched log
        assert audit.verify(session).ok


def test_the_application_cannot_update_or_delete_audit_rows(session) -> None:  # type: ignore[no-untyped-def]
    seq = session.execute(select(func.max(AuditEvent.seq))).scalar_one()
    session.info["fanguai_audit_write"] = True  # past the ORM guard: the database must refuse
    try:
        for statement in (
            update(AuditEvent).where(AuditEvent.seq == seq).values(outcome="denied"),
            delete(AuditEvent).where(AuditEvent.seq == seq),
        ):
            nested = session.begin_nested()
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
            nested.rollback()
    finally:
        session.info.pop("fanguai_audit_write", None)


def test_the_application_cannot_truncate_the_audit_table_on_postgresql(session) -> None:  # type: ignore[no-untyped-def]
    if session.bind.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only; SQLite's DELETE is covered above")
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_event"))
    nested.rollback()


def test_a_failed_audit_write_rolls_the_change_back(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fanguai.org.models import Unit

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "append", broken)
    with pytest.raises(RuntimeError):
        with action(session, cli_actor("test"), "test.rename", object_type="unit"):
            session.execute(select(Unit).where(Unit.code == "320508-GA")).scalar_one().name = "x"
    monkeypatch.undo()
    assert session.execute(select(Unit.name).where(Unit.code == "320508-GA")).scalar_one() != "x"
