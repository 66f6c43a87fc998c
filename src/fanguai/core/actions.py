"""Every state change is an action: one transaction, one audit record, outbox rows.

Use it as a context manager around the change::

    with action(session, actor, "org.create_user", object_type="user") as act:
        user = User(...)
        session.add(user)
        act.object_id = user.public_id

On success the audit record is written in the same transaction and the transaction commits.
If the body raises, the change is rolled back and a ``denied`` or ``failed`` record is committed
on its own, so refusals are audited too. A flush or bulk statement that writes outside an action
raises ``WriteOutsideAction``: no code path can change state without leaving a trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from fanguai.audit import service as audit
from fanguai.core.actor import Actor
from fanguai.core.context import client_var, mark_audited, request_id_var, source_var
from fanguai.errors import DomainError, Forbidden, NotAuthenticated, NotFound

log = logging.getLogger(__name__)

ACTION_KEY = "fanguai_action"
# Session last-seen timestamps are bookkeeping, not state changes: they are written without an
# audit record (the request itself is audited), through ``bookkeeping()`` only.
BOOKKEEPING_KEY = "fanguai_bookkeeping"


class WriteOutsideAction(RuntimeError):
    """Code tried to change the database without going through an action."""


@dataclass
class ActionContext:
    """What the body of an action may fill in for its audit record."""

    name: str
    actor: Actor
    object_type: str | None = None
    object_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    priority: str = "normal"
    # A recorded refusal that must still commit its bookkeeping (failed-login counters).
    outcome: str = "success"


def _outcome_for(exc: BaseException) -> str:
    if isinstance(exc, (Forbidden, NotFound, NotAuthenticated)):
        return "denied"
    return "failed"


@contextmanager
def action(
    session: Session,
    actor: Actor,
    name: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    priority: str = "normal",
) -> Iterator[ActionContext]:
    """Run the body as one audited transaction (see the module docstring)."""
    if session.info.get(ACTION_KEY) is not None:
        raise RuntimeError(f"action {name!r} started inside action {session.info[ACTION_KEY]!r}")
    if session.in_transaction():
        # Reads done before the action must not hold the transaction the action will use.
        session.rollback()
    ctx = ActionContext(
        name=name,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        detail=dict(detail or {}),
        priority=priority,
    )
    source = source_var.get()
    request_id = request_id_var.get()
    session.info[ACTION_KEY] = name
    # On SQLite take the write lock at BEGIN (see fanguai.db.make_engine).
    session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield ctx
        session.flush()
        event = audit.append(
            session,
            actor=actor,
            action=name,
            outcome=ctx.outcome,
            source=source,
            object_type=ctx.object_type,
            object_id=ctx.object_id,
            request_id=request_id,
            detail=ctx.detail,
            client=client_var.get(),
            priority=ctx.priority,
        )
        session.commit()
        mark_audited(event.seq)
    except BaseException as exc:
        session.rollback()
        session.info.pop(ACTION_KEY, None)
        if isinstance(exc, Exception):
            _record_refusal(session, ctx, exc, source=source, request_id=request_id)
        raise
    finally:
        session.info.pop(ACTION_KEY, None)


def _record_refusal(
    session: Session,
    ctx: ActionContext,
    exc: BaseException,
    *,
    source: str,
    request_id: str | None,
) -> None:
    message = exc.message if isinstance(exc, DomainError) else type(exc).__name__
    try:
        session.connection(execution_options={"sqlite_immediate": True})
        event = audit.append(
            session,
            actor=ctx.actor,
            action=ctx.name,
            outcome=_outcome_for(exc),
            source=source,
            object_type=ctx.object_type,
            object_id=ctx.object_id,
            request_id=request_id,
            detail=ctx.detail,
            message=message,
            client=client_var.get(),
            priority=ctx.priority,
        )
        session.commit()
        mark_audited(event.seq)
    except Exception:  # the original error is what the caller must see
        session.rollback()
        log.exception("could not record the refusal of action %s", ctx.name)


def record(
    session: Session,
    actor: Actor,
    name: str,
    *,
    outcome: str,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    message: str | None = None,
    priority: str = "normal",
) -> None:
    """Commit a stand-alone audit event (a read of a sensitive record, a denied request)."""
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
    try:
        event = audit.append(
            session,
            actor=actor,
            action=name,
            outcome=outcome,
            source=source_var.get(),
            object_type=object_type,
            object_id=object_id,
            request_id=request_id_var.get(),
            detail=detail,
            message=message,
            client=client_var.get(),
            priority=priority,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    mark_audited(event.seq)


def _write_allowed(session: Session) -> bool:
    info = session.info
    return bool(
        info.get(ACTION_KEY) or info.get(audit.AUDIT_WRITE_KEY) or info.get(BOOKKEEPING_KEY)
    )


@contextmanager
def bookkeeping(session: Session) -> Iterator[None]:
    """Commit a bookkeeping write (session last-seen) that needs no audit record of its own."""
    if session.in_transaction():
        session.rollback()
    session.info[BOOKKEEPING_KEY] = True
    try:
        session.connection(execution_options={"sqlite_immediate": True})
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(BOOKKEEPING_KEY, None)


@event.listens_for(Session, "before_flush")
def _refuse_flush_outside_action(
    session: Session, _flush_context: object, _instances: object
) -> None:
    if not (session.new or session.dirty or session.deleted):
        return
    if _write_allowed(session):
        return
    changed = {type(o).__name__ for o in (*session.new, *session.dirty, *session.deleted)}
    raise WriteOutsideAction(f"write to {sorted(changed)} outside an action")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_write_outside_action(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if _write_allowed(state.session):
        return
    raise WriteOutsideAction(f"{state.statement.__class__.__name__} statement outside an action")
