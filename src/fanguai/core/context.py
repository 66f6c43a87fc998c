"""Per-request context (request ID, source, client, audit marks) carried to actions."""

from __future__ import annotations

import contextvars
import secrets

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fanguai_request_id", default=None
)
source_var: contextvars.ContextVar[str] = contextvars.ContextVar("fanguai_source", default="cli")
client_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fanguai_client", default=None
)
# A list the middleware creates per request; actions append to it (the list object is shared
# with the worker threads that run sync routes, where a plain contextvar set would be lost).
audit_marks_var: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "fanguai_audit_marks", default=None
)


def new_request_id() -> str:
    """A random request ID (16 hex characters)."""
    return secrets.token_hex(8)


def mark_audited(seq: int) -> None:
    """Note that this request already has an audit record (so the request log adds none)."""
    marks = audit_marks_var.get()
    if marks is not None:
        marks.append(seq)
