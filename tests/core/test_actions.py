"""Actions: one transaction and one audit record per state change; no write outside them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from fanguai.audit import service as audit
from fanguai.audit.models import AuditEvent
from fanguai.core.actions import WriteOutsideAction, action
from fanguai.core.actor import cli_actor
from fanguai.errors import Conflict
from fanguai.org.models import Unit


def _audit_count(session) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _unit(session) -> Unit:  # type: ignore[no-untyped-def]
    return session.execute(select(Unit).where(Unit.code == "320508-GA")).scalar_one()


def test_it_commits_a_change_with_exactly_one_audit_record(session) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    with action(session, cli_actor("test"), "test.rename", object_type="unit") as act:
        unit = _unit(session)
        unit.name = "姑苏区公安局（测试）"
        act.object_id = unit.public_id
    assert _audit_count(session) == before + 1
    last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert (last.action, last.outcome, last.object_type) == ("test.rename", "success", "unit")
    assert last.actor_kind == "cli" and last.object_id == unit.public_id
    assert _unit(session).name == "姑苏区公安局（测试）"


def test_it_rolls_back_a_failed_action_and_audits_the_refusal(session) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    with pytest.raises(Conflict):
        with action(session, cli_actor("test"), "test.rename", object_type="unit"):
            _unit(session).name = "不应保存"
            session.flush()
            raise Conflict("stale")
    assert _unit(session).name != "不应保存"
    assert _audit_count(session) == before + 1
    last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert (last.outcome, last.message) == ("failed", "stale")


def test_it_refuses_a_flush_outside_an_action(session) -> None:  # type: ignore[no-untyped-def]
    _unit(session).name = "绕过审计"
    with pytest.raises(WriteOutsideAction):
        session.flush()
    session.rollback()
    assert _unit(session).name != "绕过审计"


def test_it_refuses_a_bulk_update_outside_an_action(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WriteOutsideAction):
        session.execute(update(Unit).where(Unit.code == "320508-GA").values(name="x"))


def test_the_audit_chain_verifies_intact(session) -> None:  # type: ignore[no-untyped-def]
    result = audit.verify(session)
    assert result.ok, result
    assert result.checked == _audit_count(session)


def test_it_neutralises_control_characters_in_audit_fields(session) -> None:  # type: ignore[no-untyped-def]
    with action(
        session,
        cli_actor("test"),
        "test.inject",
        object_type="unit",
        object_id="a\nFAKE 2026-01-01 admin login ok",
    ):
        pass
    last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert "\n" not in last.object_id and "\\x0a" in last.object_id
