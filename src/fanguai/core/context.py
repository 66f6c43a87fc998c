"""Per-request context (request ID, source) carried to actions without passing it everywhere."""

from __future__ import annotations

import contextvars
import secrets

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fanguai_request_id", default=None
)
source_var: contextvars.ContextVar[str] = contextvars.ContextVar("fanguai_source", default="cli")


def new_request_id() -> str:
    """A random request ID (16 hex characters)."""
    return secrets.token_hex(8)
