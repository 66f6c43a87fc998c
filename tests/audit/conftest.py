"""Tampering helpers: an attacker with write access to the database, around the triggers."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text


@contextmanager
def triggers_off(session):  # type: ignore[no-untyped-def]
    """Drop the append-only triggers inside the test's transaction (rolled back with it)."""
    if session.bind.dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    session.info["fanguai_audit_write"] = True
    try:
        yield
    finally:
        session.info.pop("fanguai_audit_write", None)
