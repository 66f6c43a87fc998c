"""Writing and verifying the audit chain."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditEvent, AuditHead
from fanguai.core.actor import Actor
from fanguai.db import utcnow

GENESIS_HASH = "0" * 64
AUDIT_WRITE_KEY = "fanguai_audit_write"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def sm3_hex(data: bytes) -> str:
    """SM3 digest of ``data`` as 64 hex characters."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def neutralise(text: str | None, *, limit: int = 500) -> str | None:
    """Make a value safe to keep in a log line: no control characters, bounded length."""
    if text is None:
        return None
    cleaned = _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return cleaned[:limit]


def _content(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor_name": event.actor_name,
        "actor_user_id": event.actor_user_id,
        "actor_unit": event.actor_unit,
        "actor_roles": event.actor_roles,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "source": event.source,
        "request_id": event.request_id,
        "detail": event.detail,
        "message": event.message,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(event: AuditEvent) -> str:
    """The hash a row must carry given its content and its predecessor's hash."""
    return sm3_hex(_content(event))


def append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    outcome: str,
    source: str,
    object_type: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
    message: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (no commit)."""
    session.info[AUDIT_WRITE_KEY] = True
    try:
        head = session.execute(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).scalar_one_or_none()
        if head is None:
            head = AuditHead(id=1, seq=0, row_hash=GENESIS_HASH)
            session.add(head)
        event = AuditEvent(
            seq=head.seq + 1,
            at=at or utcnow(),
            actor_kind=actor.kind,
            actor_name=neutralise(actor.name, limit=200) or "",
            actor_user_id=actor.user_public_id,
            actor_unit=actor.unit_code,
            actor_roles=",".join(sorted(actor.roles)),
            action=action,
            object_type=object_type,
            object_id=neutralise(object_id, limit=64),
            outcome=outcome,
            source=source,
            request_id=request_id,
            detail={k: _clean_detail(v) for k, v in (detail or {}).items()},
            message=neutralise(message),
            prev_hash=head.row_hash,
        )
        event.row_hash = row_hash(event)
        head.seq = event.seq
        head.row_hash = event.row_hash
        session.add(event)
        session.flush()
        return event
    finally:
        session.info.pop(AUDIT_WRITE_KEY, None)


def _clean_detail(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean_detail(v) for v in value][:100]
    return neutralise(str(value))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain verification: ``first_bad_seq`` is None when the chain is intact."""

    checked: int
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in order and report the first sequence number that does not hold."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if event.seq != expected_seq:
            return VerifyResult(checked, expected_seq, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != expected_prev:
            return VerifyResult(checked, event.seq, "prev_hash does not match predecessor")
        if row_hash(event) != event.row_hash:
            return VerifyResult(checked, event.seq, "row content does not match its hash")
        expected_prev = event.row_hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.row_hash != expected_prev):
        return VerifyResult(checked, expected_seq, "log truncated: head is beyond the last row")
    return VerifyResult(checked, None, None)
